// Tandem's small bit of JavaScript: forms with data-confirm ask before they
// are sent (destructive actions such as revoking a key).
document.addEventListener('submit', (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
