// latchkey admin pages: conveniences only; every page works without this file.
// A button with data-copy="ID" copies the text of the element with that id.
"use strict";
document.addEventListener("click", function (ev) {
  var button = ev.target.closest && ev.target.closest("button[data-copy]");
  if (!button) return;
  ev.preventDefault();
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  var label = button.textContent;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 2000);
  });
});
// Copy buttons are hidden until this script runs (they do nothing without it).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = false; });
});
