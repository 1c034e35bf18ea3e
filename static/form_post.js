// Submit the response form at once; the button stays for browsers without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var f = document.getElementById("form-post");
  if (f) { f.submit(); }
});
