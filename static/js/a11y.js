// Keyboard and screen-reader help shared by every page (loaded last in <body>):
// - once the page is shown, focus its error summary (or the field marked autofocus);
//   a summary link moves focus to its field;
// - the menu button folds the console menu on narrow screens;
// - anything that scrolls sideways (a wide table, a long command) can be reached and
//   scrolled with the keyboard, and tables scroll in their own box instead of the page;
// - controls Flask-Admin draws without a name get one (the clear-search cross, filters).
(function () {
  "use strict";

  function focusFirst() {
    var target = document.querySelector("[data-error-summary]") || document.querySelector("main [autofocus]");
    if (target) target.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  });

  function bindMenu() {
    var button = document.querySelector(".menu-toggle");
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }

  function wrapTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.closest(".table-responsive, .table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  function nameOf(box) {
    // The heading that comes before the box names it ("Pending invitations").
    var name = "Table";
    document.querySelectorAll("main h1, main h2, main h3").forEach(function (heading) {
      if (heading.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING) {
        name = heading.textContent.trim();
      }
    });
    return name;
  }

  function reachScrollers() {
    document.querySelectorAll("main pre, main .table-responsive, main .table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-reach", "");
        if (!box.hasAttribute("aria-label") && box.tagName !== "PRE") {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", nameOf(box));
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-reach")) {
        ["tabindex", "data-scroll-reach", "role", "aria-label"].forEach(function (name) {
          box.removeAttribute(name);
        });
      }
    });
  }

  function nameControls() {
    document.querySelectorAll("form[role=search] a .fa-times").forEach(function (icon) {
      var link = icon.closest("a");
      link.setAttribute("aria-label", "Clear the search");
      icon.setAttribute("aria-hidden", "true");
    });
    document.querySelectorAll(".filters tr").forEach(function (row) {
      var remove = row.querySelector(".remove-filter");
      var name = remove ? remove.textContent.replace("\u00d7", "").trim() : "Filter";
      if (remove) remove.setAttribute("aria-label", "Remove the filter " + name);
      row.querySelectorAll(".filter-op").forEach(function (control) {
        control.setAttribute("aria-label", name + ": how to compare");
      });
      row.querySelectorAll(".filter-val").forEach(function (control) {
        control.setAttribute("aria-label", name + ": value");
      });
    });
  }

  function watchFilters() {
    var filters = document.querySelector(".filters");
    if (filters && window.MutationObserver) {
      new MutationObserver(nameControls).observe(filters, { childList: true, subtree: true });
    }
  }

  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      reachScrollers();
    });
  });

  bindMenu();
  wrapTables();
  nameControls();
  watchFilters();
  document.addEventListener("portal:ready", function () {
    nameControls();
    reachScrollers();
    focusFirst();
  });
})();
