// Copy buttons: <button data-copy="#element-id"> copies a field's value, or an element's text
// (a product key shown in <code>). No inline script, so the CSP stays strict.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  var text = "value" in source ? source.value : source.textContent.trim();
  var done = function () { button.textContent = "Copied"; };
  var fallback = function () {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if ("select" in source) source.select();
    document.execCommand("copy");
    done();
  };
  if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
});
