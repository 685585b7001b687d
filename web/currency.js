// The currency selector in the header: the quote currencies the database holds
// (/api/v1/currencies), the choice kept in the page URL and sent with every API call (api.js).
import { currency, getJson, setCurrency } from './api.js';
import { el } from './format.js';

// Fills the selector; the URL's currency stays offered even when the database holds none yet.
async function fill(select) {
  const held = (await getJson('/api/v1/currencies')).currencies;
  const codes = held.includes(currency()) ? held : [currency(), ...held];
  const options = codes.map((code) => {
    const option = el('option', code);
    option.value = code;
    return option;
  });
  select.replaceChildren(...options);
  select.value = currency();
}

export function initCurrency(onChange, onError) {
  const select = document.getElementById('currency');
  select.addEventListener('change', () => {
    setCurrency(select.value);
    onChange();
  });
  fill(select).catch(onError);
}
