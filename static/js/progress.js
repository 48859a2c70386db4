// The import progress page: ask the server how far the import got every second, move the
// bar, and open the result page once it finished. The text is a polite live region, so
// screen readers hear the count without losing their place.
(function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box) return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[role=status]");
  var failed = box.querySelector("[data-testid=import-failed]");

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.done;
    bar.textContent = state.percent + "%";
    text.textContent = state.message;
    box.setAttribute("data-stage", state.stage);
    if (state.stage === "finished") {
      window.location.assign(state.page);  // the page itself redirects to the result
    } else if (state.stage === "failed" || state.stage === "not started") {
      failed.classList.remove("d-none");
    } else {
      setTimeout(poll, 1000);
    }
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(show)
      .catch(function () { setTimeout(poll, 3000); });
  }

  var stage = box.getAttribute("data-stage");
  if (stage === "waiting" || stage === "running") setTimeout(poll, 1000);
})();
