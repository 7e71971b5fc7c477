// Copy buttons (the fee pages' transfer details): <button data-copy="text">. The Clipboard API needs a
// secure context (HTTPS or localhost); without it the value beside the button is selected, for the phone's
// own copy menu. The [data-copy-status] line (role=status) says what was copied.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = button.dataset.copy;
  const status = document.querySelector("[data-copy-status]");
  const done = () => {
    if (status) status.textContent = `${status.dataset.done}: ${text}`;
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
    navigator.clipboard.writeText(text).then(done, select);
  } else {
    select();
  }
});
