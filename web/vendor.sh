#!/bin/sh
# Copies the front end's npm dependencies into web/vendor/, which is committed and embedded in
# the binary (so the C++ build needs no npm). Run after `npm ci` in web/ to upgrade them.
set -eu
cd "$(dirname "$0")"
src=node_modules/lightweight-charts
mkdir -p vendor
cp "$src/dist/lightweight-charts.standalone.production.mjs" vendor/lightweight-charts.js
cp "$src/LICENSE" vendor/lightweight-charts.LICENSE.txt
echo "vendored lightweight-charts $(node -p "require('./$src/package.json').version")"
