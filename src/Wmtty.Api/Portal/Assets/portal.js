// Enhancement only: the portal works without this script. It shows a question only while its
// enableWhen conditions hold, as the patient answers, and unticks the other answers when an
// exclusive one ("None") is ticked. The server decides again on every submit.
(function () {
  "use strict";
  var form = document.querySelector("form[data-portal-section]");
  if (!form) { return; }

  function values(linkId) {
    var chosen = [];
    var fields = form.querySelectorAll("[data-link-id]");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.getAttribute("data-link-id") !== linkId) { continue; }
      if (field.closest("[hidden]")) { continue; } // an answer to a hidden question does not count, as on the server
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) { chosen.push(field.value); }
      } else if (field.value.trim() !== "") {
        chosen.push(field.value.trim());
      }
    }
    return chosen;
  }

  function holds(condition) {
    var given = values(condition.question);
    if (condition.operator === "exists") { return (given.length > 0) === condition.answer; }
    if (condition.operator === "=") { return given.indexOf(condition.answer) >= 0; }
    if (condition.operator === "!=") { return given.length > 0 && given.indexOf(condition.answer) < 0; }
    return true; // other comparisons are left to the server
  }

  function update() {
    // Hiding one question can hide those that depend on it: repeat until nothing changes.
    for (var pass = 0; pass < 5 && updateOnce(); pass++) { }
  }

  function updateOnce() {
    var changed = false;
    var dependants = form.querySelectorAll("[data-enable-when]");
    for (var i = 0; i < dependants.length; i++) {
      var item = dependants[i];
      var conditions = JSON.parse(item.getAttribute("data-enable-when"));
      var any = item.getAttribute("data-enable-behavior") === "any";
      var enabled = any ? conditions.some(holds) : conditions.every(holds);
      if (item.hidden === enabled) { changed = true; }
      item.hidden = !enabled;
      var hint = item.querySelector(".condition-hint");
      if (hint) { hint.hidden = true; } // with the script running, the question appears only when it applies
    }
    return changed;
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "checkbox" && target.checked) {
      var group = form.querySelectorAll("input[type=checkbox][name='" + target.name.replace(/'/g, "\\'") + "']");
      for (var i = 0; i < group.length; i++) {
        var other = group[i];
        if (other === target) { continue; }
        if (target.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) { other.checked = false; }
      }
    }
    update();
  });
  form.addEventListener("input", update);
  update();

  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
