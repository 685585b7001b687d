// Calls the JSON API. An access token given as ?token=... in the page URL is sent as a
// Bearer header (and added to download links).
const token = new URLSearchParams(window.location.search).get('token');

export function apiUrl(path, params = {}) {
  const query = new URLSearchParams(params);
  if (token) query.set('token', token);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export async function getJson(path, params = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const query = new URLSearchParams(params).toString();
  const response = await fetch(query ? `${path}?${query}` : path, { headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}
