// Progressive enhancement only: every core flow works without JavaScript.
(function () {
  "use strict";
  // On the user form, show the street or company choice only for the roles that need it.
  var role = document.querySelector("select#role");
  if (role) {
    var street = document.querySelector("select#street_id");
    var company = document.querySelector("#company_id");
    var sync = function () {
      if (street) street.closest(".mb-3").hidden = role.value !== "street_officer";
      if (company) company.closest(".mb-3").hidden = role.value !== "company_user";
    };
    role.addEventListener("change", sync);
    sync();
  }
  // Filter bars: no automatic submission on "change" — a keyboard user moving through the options with the
  // arrow keys would lose the page at every step. The filter bar's 查询 button submits (Enter does too).
  // Tables that scroll sideways in their own box (narrow screens) can be reached and scrolled with the keyboard.
  var focusableScroll = function () {
    document.querySelectorAll("table.data-table, table.table, .table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  };
  focusableScroll();
  window.addEventListener("resize", focusableScroll);
})();
