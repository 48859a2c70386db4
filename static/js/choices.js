// A choice that implies another: ticking <input data-selects="#radio-id"> selects that radio
// (ticking a location to deactivate means "only these locations"). No inline script (CSP).
document.addEventListener("change", function (event) {
  var box = event.target.closest("[data-selects]");
  if (box && box.checked) document.querySelector(box.getAttribute("data-selects")).checked = true;
});
