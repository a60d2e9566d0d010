// The portal's behaviour, kept out of the templates: the Content-Security-Policy runs no inline
// script or event handler.

// The menu button of the header (base.html): on a narrow screen it shows and hides the
// navigation. It is hidden until this runs, so without JavaScript the navigation stays shown.
const menuButton = document.querySelector(".menu-button");
if (menuButton) {
  const setOpen = (open) => menuButton.setAttribute("aria-expanded", String(open));
  menuButton.hidden = false;
  menuButton.addEventListener("click", () => {
    setOpen(menuButton.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menuButton.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      menuButton.focus();
    }
  });
}

// A wide table scrolls inside its box (.table-scroll, .table-wrap), a long line of code inside its
// <pre>, a chart too narrow to read on a phone inside its .table-scroll box: while it does, the box is a named region that takes the keyboard focus, so it can be
// scrolled with the arrow keys.
const scrollBoxes = document.querySelectorAll(".table-scroll, .table-wrap, pre");
const nameOfBox = (box) => {
  const table = box.querySelector("table");
  const picture = box.querySelector("svg[aria-label]");
  const own =
    table?.caption?.textContent ||
    table?.getAttribute("aria-label") ||
    (picture && `${picture.getAttribute("aria-label")} (chart)`);
  if (own) return own.trim();
  for (let el = box.previousElementSibling; el; el = el.previousElementSibling) {
    if (/^H[1-6]$/.test(el.tagName)) return `${el.textContent.trim()} (${table ? "table" : "code"})`;
  }
  return table ? "Table" : "Code";
};
const markScrollable = () => {
  for (const box of scrollBoxes) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.dataset.scrolls) {
      box.dataset.scrolls = "true";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        box.dataset.namedBy = "portal";
        box.setAttribute("aria-label", nameOfBox(box));
      }
    } else if (!scrolls && box.dataset.scrolls) {
      delete box.dataset.scrolls;
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      if (box.dataset.namedBy) {
        delete box.dataset.namedBy;
        box.removeAttribute("aria-label");
      }
    }
  }
};
if (scrollBoxes.length) {
  markScrollable();
  window.addEventListener("resize", markScrollable);
  window.addEventListener("load", markScrollable); // once fonts and pictures have their size
}
