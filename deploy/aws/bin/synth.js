'use strict';
// Writes the deployable template, minified (the inline limit of `aws cloudformation deploy` is
// 51,200 bytes): node bin/synth.js [OUT_FILE], default cdk.out/coinlake.template.json.
const fs = require('node:fs');
const path = require('node:path');
const { buildApp } = require('./app');

const out = process.argv[2] || path.join(__dirname, '..', 'cdk.out', 'coinlake.template.json');
const { app, stack } = buildApp(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'coinlake-cdk-')));
const template = app.synth().getStackByName(stack.stackName).template;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(template));
console.log(`${out}: ${fs.statSync(out).size} bytes`);
