/* The navigation menu on phones: the toggler shows and hides the links (no framework script needed). */
(function () {
  "use strict";
  var toggler = document.querySelector(".navbar-toggler");
  var links = document.getElementById("nav-links");
  if (!toggler || !links) return;
  toggler.addEventListener("click", function () {
    var open = links.classList.toggle("show");
    toggler.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
