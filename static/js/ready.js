// Loaded in <head>: the content area stays hidden until the page's scripts have run, so
// nobody (a fast user, a slow phone, a browser test) clicks a control that is not bound
// yet ("Add Filter" menus, row checkboxes, select2 widgets that change the layout).
// `load` fires after every body script; jQuery runs its ready handlers from a timer, so
// reveal one timer and one frame later, then tell the page ("portal:ready"). Without
// JavaScript neither class is set and everything shows at once.
(function () {
  var root = document.documentElement;
  root.classList.add("js", "js-pending");
  window.addEventListener("load", function () {
    setTimeout(function () {
      requestAnimationFrame(function () {
        root.classList.remove("js-pending");
        root.setAttribute("data-ready", "");
        document.dispatchEvent(new Event("portal:ready"));
      });
    }, 0);
  });
})();
