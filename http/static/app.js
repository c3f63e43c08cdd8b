// Tandem's small bit of JavaScript: forms with data-confirm ask before they
// are sent (destructive actions such as revoking a key).
document.addEventListener('submit', (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A checkbox with data-select-all="NAME" ticks or clears every checkbox
// named NAME in its form (bulk actions on a list).
document.addEventListener('change', (event) => {
  const name = event.target.dataset && event.target.dataset.selectAll;
  if (name && event.target.form) {
    for (const box of event.target.form.querySelectorAll(`input[type="checkbox"][name="${name}"]`)) {
      box.checked = event.target.checked;
    }
  }
});
