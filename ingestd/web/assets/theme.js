/* Runs before the first paint, so a chosen theme never flashes the other one. */
(function () {
  try {
    var t = localStorage.getItem("loom-theme");
    if (t === "dark" || t === "light") document.documentElement.dataset.theme = t;
  } catch (e) { /* storage disabled: follow prefers-color-scheme */ }
})();
