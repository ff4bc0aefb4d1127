// Progressive enhancement only: every core flow works without JavaScript.
(function () {
  "use strict";
  // On the user form, show the street or company choice only for the roles that need it.
  var role = document.querySelector("select#role");
  if (role) {
    var street = document.querySelector("select#street_id");
    var company = document.querySelector("select#company_id");
    var sync = function () {
      if (street) street.closest(".mb-3").hidden = role.value !== "street_officer";
      if (company) company.closest(".mb-3").hidden = role.value !== "company_user";
    };
    role.addEventListener("change", sync);
    sync();
  }
  // Filter bars: a change of a select submits the form.
  document.querySelectorAll("form.filter-bar select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
