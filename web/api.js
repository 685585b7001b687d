// Calls the JSON API. An access token given as ?token=... in the page URL is sent as a
// Bearer header (and added to download links). The quote currency chosen in the header
// (?currency=EUR in the page URL) goes with every call whose endpoint takes one.
const pageQuery = new URLSearchParams(window.location.search);
const token = pageQuery.get('token');
let chosenCurrency = /^[A-Z]{1,10}$/.test(pageQuery.get('currency') || '') ? pageQuery.get('currency') : 'USD';

// The endpoints that answer in a quote currency (docs/api.md).
const IN_CURRENCY = new Set(['/api/v1/latest', '/api/v1/series', '/api/v1/candles', '/api/v1/sparklines',
  '/api/v1/movers', '/api/v1/global', '/api/v1/global/series']);

export function currency() {
  return chosenCurrency;
}

// Keeps the choice in the page URL (a reload or a shared link shows the same currency);
// replaceState: no reload, and the hash route stays.
export function setCurrency(code) {
  chosenCurrency = code;
  const url = new URL(window.location.href);
  if (code === 'USD') url.searchParams.delete('currency');
  else url.searchParams.set('currency', code);
  window.history.replaceState(null, '', url);
}

function query(path, params) {
  const q = new URLSearchParams(params);
  if (IN_CURRENCY.has(path) && !q.has('currency')) q.set('currency', chosenCurrency);
  return q;
}

export function apiUrl(path, params = {}) {
  const q = query(path, params);
  if (token) q.set('token', token);
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

export async function getJson(path, params = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const text = query(path, params).toString();
  const response = await fetch(text ? `${path}?${text}` : path, { headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}
