// apikey.js: the API key field every page shares. The key is kept in the
// tab's session storage under one name, so that a key entered on the
// upload page serves the inspector and back; never in local storage,
// cookies or the address.

/** KEY_STORAGE is the session storage name of the API key. */
export const KEY_STORAGE = 'presign.apiKey';

/**
 * keyField wires the API key field: the input with id "api-key", its
 * "key-show" and "key-forget" buttons and its "api-key-error" message.
 * @param {{onChange?: (key: string) => void}} [o] onChange: told the key
 *   (trimmed, possibly empty) when the user changes or forgets it
 * @returns {{value: () => string, require: () => string, setError: (text: string) => void}}
 *   value: the key; require: the key, or '' after asking for one;
 *   setError: shows text under the field ('' clears it)
 */
export function keyField(o = {}) {
  const input = document.getElementById('api-key');
  const error = document.getElementById('api-key-error');
  const showButton = document.getElementById('key-show');

  const setError = (text) => {
    error.textContent = text;
    error.hidden = !text;
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  const value = () => input.value.trim();

  try {
    input.value = sessionStorage.getItem(KEY_STORAGE) ?? '';
  } catch { /* storage disabled: the key lives in the field only */ }

  input.addEventListener('input', () => {
    const key = value();
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch { /* storage disabled */ }
    setError('');
    o.onChange?.(key);
  });
  showButton.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    showButton.setAttribute('aria-pressed', String(show));
    showButton.textContent = show ? 'Hide' : 'Show';
  });
  document.getElementById('key-forget').addEventListener('click', () => {
    input.value = '';
    try {
      sessionStorage.removeItem(KEY_STORAGE);
    } catch { /* storage disabled */ }
    setError('');
    input.focus();
    o.onChange?.('');
  });

  const require = () => {
    const key = value();
    if (!key) {
      setError('Enter the API key first.');
      input.focus();
    }
    return key;
  };
  return { value, require, setError };
}
