// The portal's behaviour, kept out of the templates: the Content-Security-Policy runs no inline
// script or event handler.

// A form, or the button that submits it, with data-confirm="question" is sent only once the
// user confirms (after the browser's own validation of the form).
document.addEventListener("submit", (event) => {
  const question = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
