// The course's own repairs to markup that the site's generators write,
// which axe-core flags (tests/site/ runs it on every page).
document.addEventListener("DOMContentLoaded", () => {
  // docutils writes each entry of the bibliography as role="doc-biblioentry"
  // inside a role="list": a deprecated role that assistive technology does
  // not take for a list item (axe: aria-required-children). Make each one a
  // list item.
  for (const entry of document.querySelectorAll(
    '.citation-list > [role="doc-biblioentry"]'
  )) {
    entry.setAttribute("role", "listitem");
  }
  // The book's title at the top of the sidebar links home but sits outside
  // every landmark (axe: region); it is navigation, so say so.
  const brand = document.querySelector(".sidebar-primary-item .navbar-brand");
  if (brand) {
    const item = brand.closest(".sidebar-primary-item");
    item.setAttribute("role", "navigation");
    item.setAttribute("aria-label", "Book home");
  }

  // An animation's player (matplotlib's to_jshtml, cnnkit.plotting's
  // conv_animation) draws its buttons with symbols that many fonts lack
  // (first, pause, last frame show as empty boxes): draw them with the
  // theme's own icons, served by the site, instead. Its frame slider has no
  // label (axe: label).
  const icons = {
    "Decrease speed": "fa-minus",
    "First frame": "fa-backward-fast",
    "Previous frame": "fa-backward-step",
    "Play backwards": "fa-play fa-flip-horizontal",
    Pause: "fa-pause",
    Play: "fa-play",
    "Next frame": "fa-forward-step",
    "Last frame": "fa-forward-fast",
    "Increase speed": "fa-plus",
  };
  for (const button of document.querySelectorAll(".animation .anim-buttons button")) {
    const icon = icons[button.getAttribute("aria-label")];
    if (icon) button.innerHTML = `<i class="fa-solid ${icon}" aria-hidden="true"></i>`;
  }
  for (const slider of document.querySelectorAll(".animation input.anim-slider")) {
    slider.setAttribute("aria-label", "Frame");
  }
});
