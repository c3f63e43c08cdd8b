// Copy buttons of the links page: a button with data-copy="ID" copies the
// value of the input with that ID, and says so for a moment.
document.addEventListener('click', (event) => {
  const button = event.target.closest && event.target.closest('button[data-copy]');
  if (!button) {
    return;
  }
  const input = document.getElementById(button.dataset.copy);
  if (!input) {
    return;
  }
  const done = (text) => {
    const before = button.textContent;
    button.textContent = text;
    setTimeout(() => { button.textContent = before; }, 2000);
  };
  input.select();
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(input.value).then(() => done('Copied'), () => done('Press Ctrl+C'));
  } else {
    done('Press Ctrl+C');
  }
});
