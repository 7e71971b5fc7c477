// Copy buttons (the fee pages' transfer details): <button data-copy="text">. The Clipboard API needs a
// secure context (HTTPS or localhost); without it the value beside the button is selected, for the phone's
// own copy menu. The page's [data-copy-status] region tells screen readers, and the button shows it briefly.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const status = document.querySelector("[data-copy-status]");
  const done = () => {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = status ? status.dataset.done : "✓";
    if (status) status.textContent = status.dataset.done;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  const select = () => {
    const value = button.previousElementSibling;
    if (!value) return;
    const range = document.createRange();
    range.selectNodeContents(value);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(button.dataset.copy).then(done, select);
  } else {
    select();
  }
});
