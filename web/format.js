// Number and time formatting, and small DOM helpers shared by the pages.
export const money = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });
export const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function price(value) {
  return value === null || value === undefined ? '–' : money.format(value);
}

export function big(value) {
  return value === null || value === undefined ? '–' : compact.format(value);
}

// Six significant digits, as in the tables, so a chart axis and the table agree on "82,909.7".
// The smallest step that still changes a price of this size at that precision (the chart's
// minMove, so axis ticks do not go finer than the labels can show).
export function priceStep(value) {
  if (!value || !Number.isFinite(value)) return 0.01;
  return 10 ** (Math.floor(Math.log10(Math.abs(value))) - 5);
}

export function percent(value) {
  return value === null || value === undefined ? '–' : `${value.toFixed(2)}%`;
}

export function plural(n, word) {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

// A run's duration: runs often take a few milliseconds, which "0.0" seconds would hide.
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

// `extra`: more classes for the cell (hide-phone).
export function percentCell(value, extra = '') {
  const sign = value === null || value === undefined ? '' : (value >= 0 ? ' up' : ' down');
  return el('td', percent(value), `num${sign}${extra ? ` ${extra}` : ''}`);
}

export function when(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

export function ago(seconds) {
  if (seconds === null || seconds === undefined) return 'never';
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

// Draws a sparkline of `values` on a canvas (green if it ended higher, red otherwise). A coin
// with fewer than two hourly closes (a fresh install, a new listing) gets a dash: an empty
// canvas would look like a rendering failure.
export function sparkline(values) {
  const points = (values || []).filter((v) => v !== null);
  if (points.length < 2) {
    const none = el('span', '—', 'spark-none note');
    none.title = 'not enough history yet';
    return none;
  }
  const canvas = document.createElement('canvas');
  canvas.width = 120;
  canvas.height = 32;
  canvas.className = 'spark';
  const min = Math.min(...points);
  const max = Math.max(...points);
  const ctx = canvas.getContext('2d');
  ctx.strokeStyle = points[points.length - 1] >= points[0] ? '#16a34a' : '#dc2626';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  points.forEach((v, i) => {
    const x = (i / (points.length - 1)) * (canvas.width - 2) + 1;
    const y = max === min ? canvas.height / 2 : (1 - (v - min) / (max - min)) * (canvas.height - 4) + 2;
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  return canvas;
}
