// CMC clients from npm against `coinlake sim`: every call each client offers must reach an
// endpoint the sim serves, parse and carry the data asked for, and an injected fault must
// reach the caller as an error.
// Usage: node peer_clients.js SIM_URL   (peer_clients.sh starts the sim)
'use strict';

const assert = require('node:assert/strict');
const CoinMarketCap = require('coinmarketcap-api');
const cmcjs = require('coinmarketcap-js');

const SIM = process.argv[2];
if (!SIM) throw new Error('usage: node peer_clients.js SIM_URL');
const KEY = 'peer-client-key';

// coinmarketcap-api has a fixed base URL; its `fetcher` option is the documented way in.
const toSim = (url, config) =>
  fetch(url.replace('https://pro-api.coinmarketcap.com', SIM), config);

async function injectFault(fault) {
  const res = await fetch(`${SIM}/__sim/faults`, {method: 'POST', body: JSON.stringify([fault])});
  assert.equal(res.status, 200, 'the sim refused the fault');
}

const checks = [];
function check(name, fn) { checks.push({name, fn}); }

function assertOk(body, what) {
  assert.equal(body.status.error_code ?? body.status.errorCode, 0, `${what}: error code`);
  assert.ok(body.data, `${what}: no data`);
}

// coinmarketcap-api 3.1.1 (v1 by default): getIdMap, getMetadata, getTickers, getQuotes,
// getGlobal.
const api = new CoinMarketCap(KEY, {fetcher: toSim});
check('coinmarketcap-api getIdMap', async () => {
  const body = await api.getIdMap({listingStatus: 'active', limit: 10, sort: 'cmc_rank'});
  assertOk(body, 'map');
  assert.equal(body.data.length, 10);
  assert.equal(body.data[0].symbol, 'BTC');
  const inactive = await api.getIdMap({listingStatus: 'inactive', limit: 5});
  assertOk(inactive, 'inactive map');
  assert.ok(inactive.data.every((c) => c.is_active === 0));
});
check('coinmarketcap-api getMetadata', async () => {
  const byId = await api.getMetadata({id: [1, 825]});
  assertOk(byId, 'info by id');
  assert.equal(byId.data['1'].symbol, 'BTC');
  assert.equal(byId.data['1'].category, 'coin');
  assert.equal(byId.data['825'].category, 'token');
  assert.ok(Array.isArray(byId.data['1'].urls.website));
  const bySymbol = await api.getMetadata({symbol: ['BTC', 'ETH']});
  assertOk(bySymbol, 'info by symbol');
  assert.equal(bySymbol.data.ETH.id, 1027);
  assert.ok(bySymbol.data.ETH.logo.endsWith('/1027.png'));
});
check('coinmarketcap-api getTickers', async () => {
  const body = await api.getTickers({limit: 5, convert: 'EUR'});
  assertOk(body, 'listings');
  assert.equal(body.data.length, 5);
  assert.ok(body.data[0].quote.EUR.price > 0);
});
check('coinmarketcap-api getQuotes', async () => {
  const bySymbol = await api.getQuotes({symbol: ['BTC', 'ETH'], convert: 'USD,EUR'});
  assertOk(bySymbol, 'quotes by symbol');
  assert.equal(bySymbol.data.BTC.id, 1);
  assert.ok(bySymbol.data.ETH.quote.EUR.price > 0);
  const byId = await api.getQuotes({id: [1, 1027]});
  assertOk(byId, 'quotes by id');
  assert.ok(byId.data['1027'].quote.USD.market_cap_dominance > 0);
});
check('coinmarketcap-api getGlobal', async () => {
  const body = await api.getGlobal({convert: 'GBP'});
  assertOk(body, 'global metrics');
  assert.ok(body.data.quote.GBP.total_market_cap > 0);
});
check('coinmarketcap-api sees a fault as an error', async () => {
  await injectFault({fault: 'status', http: 500, path: '/v1/global-metrics/quotes/latest'});
  const body = await api.getGlobal();
  assert.equal(body.status.error_code, 500);
  assert.equal(body.data, undefined);
});

// coinmarketcap-js 1.7.0 (v1 by default; camelCase answers): crypto.idMap, latestListings,
// latestQuotes, info, categories, category; global.latestQuotes; fiat.idMap; exchange.idMap,
// info; tools.priceConversion.
const js = cmcjs.restClient(KEY, 'v1', SIM);
check('coinmarketcap-js crypto.idMap', async () => {
  const body = await js.crypto.idMap({symbol: 'BTC,ETH'});
  assertOk(body, 'map');
  assert.deepEqual(body.data.map((c) => c.id).sort((a, b) => a - b), [1, 1027]);
});
check('coinmarketcap-js crypto.latestListings', async () => {
  const body = await js.crypto.latestListings({limit: 3, sort: 'volume_24h', convert: 'USD,BTC'});
  assertOk(body, 'listings');
  assert.equal(body.data.length, 3);
  assert.ok(body.data[0].quote.BTC.price > 0);
  assert.ok('cmcRank' in body.data[0]);
});
check('coinmarketcap-js crypto.latestQuotes', async () => {
  const body = await js.crypto.latestQuotes({symbol: 'BTC,ETH', convert: 'EUR'});
  assertOk(body, 'quotes');
  assert.ok(body.data.BTC.quote.EUR.price > 0);
});
check('coinmarketcap-js global.latestQuotes', async () => {
  const body = await js.global.latestQuotes({convert: 'JPY'});
  assertOk(body, 'global metrics');
  assert.ok(body.data.quote.JPY.totalMarketCap > 0);
});
check('coinmarketcap-js crypto.info', async () => {
  const body = await js.crypto.info({symbol: 'BTC,USDT'});
  assertOk(body, 'info');
  assert.equal(body.data.BTC.id, 1);
  assert.equal(body.data.USDT.platform.id, 1027);
  assert.ok(body.data.BTC.tagNames.length > 0);
  assert.ok(Array.isArray(body.data.BTC.urls.sourceCode));
});
check('coinmarketcap-js crypto.categories and crypto.category', async () => {
  const list = await js.crypto.categories({limit: 10});
  assertOk(list, 'categories');
  assert.ok(list.data.length >= 3);
  const stable = list.data.find((c) => c.name === 'Stablecoin');
  assert.ok(stable && stable.numTokens > 0 && stable.marketCap > 0);
  const body = await js.crypto.category({id: stable.id, convert: 'EUR'});
  assertOk(body, 'category');
  assert.equal(body.data.coins.length, stable.numTokens);
  assert.ok(body.data.coins.every((c) => c.tags.includes('stablecoin') && c.quote.EUR.price > 0));
});
check('coinmarketcap-js fiat.idMap', async () => {
  const body = await js.fiat.idMap({includeMetals: true});
  assertOk(body, 'fiat map');
  const bySymbol = Object.fromEntries(body.data.map((f) => [f.symbol, f]));
  assert.equal(bySymbol.USD.id, 2781);
  assert.equal(bySymbol.EUR.id, 2790);
  assert.equal(bySymbol.USD.sign, '$');
  assert.equal(bySymbol.XAU.name, 'Gold Troy Ounce');
});
check('coinmarketcap-js exchange.idMap and exchange.info', async () => {
  const map = await js.exchange.idMap({sort: 'volume_24h', limit: 3});
  assertOk(map, 'exchange map');
  assert.equal(map.data.length, 3);
  assert.equal(map.data[0].slug, 'binance');
  assert.equal(map.data[0].id, 270);
  const info = await js.exchange.info({slug: 'binance,kraken'});
  assertOk(info, 'exchange info');
  assert.equal(info.data['270'].name, 'Binance');
  assert.equal(info.data['24'].slug, 'kraken');
  assert.ok(info.data['270'].spotVolumeUsd > 0);
});
check('coinmarketcap-js tools.priceConversion', async () => {
  const body = await js.tools.priceConversion({amount: 2, symbol: 'BTC', convert: 'USD,BTC'});
  assertOk(body, 'price conversion');
  assert.equal(body.data.id, 1);
  assert.equal(body.data.amount, 2);
  assert.ok(Math.abs(body.data.quote.BTC.price - 2) < 1e-9);
  const quote = await js.crypto.latestQuotes({id: '1'});
  const usd = quote.data['1'].quote.USD.price;
  assert.ok(Math.abs(body.data.quote.USD.price / (2 * usd) - 1) < 0.05);
  const v2 = cmcjs.restClient(KEY, 'v2', SIM);
  const past = await v2.tools.priceConversion({amount: 1, id: '1', time: '2026-01-01T00:00:00Z'});
  assertOk(past, 'v2 price conversion at a time');
  assert.ok(past.data.lastUpdated <= '2026-01-01T00:00:00.000Z');
});
check('coinmarketcap-js sees a fault as an error', async () => {
  await injectFault({fault: 'status', http: 429, path: '/v1/cryptocurrency/listings/latest'});
  await assert.rejects(js.crypto.latestListings({limit: 1}), (e) => e.response.status === 429 &&
    e.response.data.status.error_code === 1008);
});

(async () => {
  let failed = 0;
  for (const {name, fn} of checks) {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  }
  console.log(`${checks.length - failed}/${checks.length} peer client checks passed`);
  process.exit(failed ? 1 : 0);
})();
