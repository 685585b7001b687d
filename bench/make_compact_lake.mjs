// Writes one UTC day of a deterministic lake of CoinMarketCap responses for the compaction
// benchmark (bench/compact_bench.sh): SNAPSHOTS listings responses of COINS coins quoted in USD,
// evenly spaced from midnight, and one global metrics response per snapshot, under the keys of
// docs/lake.md:
//   raw/cmc/listings_latest/dt=YYYY-MM-DD/listings_latest_YYYY-MM-DDTHH-MM-SSZ.json.gz
//   raw/cmc/global_metrics_latest/dt=YYYY-MM-DD/global_metrics_latest_YYYY-MM-DDTHH-MM-SSZ.json.gz
// Day d (0-based) is 2026-01-01 + d days. Each coin's price is a random walk; its quote's
// last_updated is one minute before the snapshot; the percent changes, volumes and supplies move
// too, so no column is constant (a constant column would flatter any columnar writer). Same
// arguments, same bytes: a fixed seed per day, and gzip with mtime 0 (Node's default).
// No .meta.json sidecars: nothing the benchmark runs reads them.
//
// Usage: node make_compact_lake.mjs LAKE_DIR DAY_INDEX COINS SNAPSHOTS
// One process per day, so the days can be written side by side (compact_bench.sh runs two).
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const [lake, dayArg, coinsArg, snapsArg] = process.argv.slice(2);
if (!snapsArg) {
  console.error('usage: node make_compact_lake.mjs LAKE_DIR DAY_INDEX COINS SNAPSHOTS');
  process.exit(2);
}
const day = Number(dayArg), coins = Number(coinsArg), snapshots = Number(snapsArg);

// mulberry32: a small deterministic PRNG.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (r) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

// Per-coin state, from a seed independent of the day, then walked forward to this day so that
// day d continues from where day d-1 would have ended only in distribution (each day is
// generated on its own).
const base = rng(42);
const price = [], supply = [], added = [];
for (let i = 0; i < coins; i++) {
  price.push(10 ** (base() * 8 - 4));
  supply.push(10 ** (base() * 4 + 6));
  added.push(Date.UTC(2013, 0, 1) + Math.floor(base() * 4000) * 86400000);
}
const r = rng(1000 + day);
for (let i = 0; i < coins; i++) price[i] *= Math.exp(gauss(r) * 0.05 * Math.sqrt(day));

const start = Date.UTC(2026, 0, 1) + day * 86400000;
const dt = new Date(start).toISOString().slice(0, 10);
const iso = (ms) => new Date(ms).toISOString(); // 2026-01-01T00:00:00.000Z, as CMC writes it
const keyTime = (ms) => iso(ms).slice(0, 19).replaceAll(':', '-') + 'Z';
const step = Math.floor(86400000 / snapshots);

function put(endpoint, ms, body) {
  const dir = join(lake, 'raw/cmc', endpoint, `dt=${dt}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${endpoint}_${keyTime(ms)}.json.gz`);
  writeFileSync(path + '.tmp', gzipSync(Buffer.from(JSON.stringify(body)), { level: 6 }));
  renameSync(path + '.tmp', path);
}

for (let s = 0; s < snapshots; s++) {
  const now = start + s * step;
  const updated = iso(now - 60000);
  const data = new Array(coins);
  let total = 0;
  for (let i = 0; i < coins; i++) {
    price[i] *= 1 + gauss(r) * 0.002;
    supply[i] *= 1 + r() * 1e-5;
    const p = price[i], cap = p * supply[i];
    total += cap;
    data[i] = {
      id: i + 1, name: `Coin ${i + 1}`, symbol: `C${i + 1}`, slug: `coin-${i + 1}`,
      num_market_pairs: 1 + ((i * 7 + s) % 900), date_added: iso(added[i]),
      tags: ['mineable'], max_supply: i % 3 ? null : Math.round(supply[i] * 2),
      circulating_supply: supply[i], total_supply: supply[i] * 1.1, infinite_supply: false,
      platform: null, cmc_rank: i + 1, self_reported_circulating_supply: null,
      self_reported_market_cap: null, tvl_ratio: null, last_updated: updated,
      quote: {
        USD: {
          price: p, volume_24h: cap * (0.01 + r() * 0.1), volume_change_24h: gauss(r) * 20,
          percent_change_1h: gauss(r) * 0.5, percent_change_24h: gauss(r) * 3,
          percent_change_7d: gauss(r) * 8, percent_change_30d: gauss(r) * 15,
          percent_change_60d: gauss(r) * 20, percent_change_90d: gauss(r) * 25,
          market_cap: cap, market_cap_dominance: 0, fully_diluted_market_cap: cap * 1.1,
          tvl: null, last_updated: updated,
        },
      },
    };
  }
  for (let i = 0; i < coins; i++) {
    data[i].quote.USD.market_cap_dominance = (100 * data[i].quote.USD.market_cap) / total;
  }
  const status = (credits) => ({
    timestamp: iso(now), error_code: 0, error_message: null, elapsed: 12,
    credit_count: credits, notice: null,
  });
  put('listings_latest', now, { status: { ...status(25), total_count: coins }, data });
  const btc = data[0].quote.USD.market_cap, eth = coins > 1 ? data[1].quote.USD.market_cap : 0;
  put('global_metrics_latest', now, {
    status: status(1),
    data: {
      active_cryptocurrencies: coins, total_cryptocurrencies: coins * 2,
      active_market_pairs: 80000 + s, active_exchanges: 700 + (s % 5), total_exchanges: 9000,
      eth_dominance: (100 * eth) / total, btc_dominance: (100 * btc) / total,
      defi_market_cap: total * 0.04, stablecoin_market_cap: total * 0.07,
      quote: {
        USD: {
          total_market_cap: total, total_volume_24h: total * 0.05,
          defi_market_cap: total * 0.04, stablecoin_market_cap: total * 0.07,
          last_updated: updated,
        },
      },
      last_updated: updated,
    },
  });
}
