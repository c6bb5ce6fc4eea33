// The header's reading aids (templates/includes/adapt.html and listen.html). The pages work without this file:
// here an Anpassa choice takes effect at once (and is saved without a reload), and Lyssna appears where the browser
// has a voice in the page's language. No other site is contacted; the speech is the browser's own.
(function () {
  "use strict";

  var root = document.documentElement;

  // Anpassa ------------------------------------------------------------------------------------------------------

  // The classes on <html> for the form's checked radios: "<aid>-<value>", none for an aid's first (default) value.
  function applyChoices(form) {
    form.querySelectorAll("fieldset").forEach(function (fieldset) {
      var radios = fieldset.querySelectorAll("input[type=radio]");
      if (!radios.length) return;
      var name = radios[0].name;
      radios.forEach(function (radio) {
        root.classList.toggle(name + "-" + radio.value, radio.checked && radio !== radios[0]);
      });
    });
  }

  // The same choice in the other Anpassa form on the page (on /anpassa/ there are two).
  function mirror(changed) {
    document.querySelectorAll("form.adapt-form input[type=radio]").forEach(function (radio) {
      if (radio.name === changed.name && radio.value === changed.value) radio.checked = true;
    });
  }

  function save(form) {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" },
    }).catch(function () {
      // Not saved (offline, say): the look still applies to this page, and Spara still posts the form.
    });
  }

  document.querySelectorAll("form.adapt-form").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.type !== "radio") return;
      mirror(event.target);
      applyChoices(form);
      save(form);
    });
  });

  // Lyssna -------------------------------------------------------------------------------------------------------

  var button = document.querySelector("button.listen");
  var speech = window.speechSynthesis;
  if (!button || !speech || typeof window.SpeechSynthesisUtterance !== "function") return;

  var language = (root.lang || "sv").toLowerCase().slice(0, 2);
  var listenLabel = button.textContent;
  var voice = null;
  var reading = false;

  // A voice that speaks the page's language; without one the button stays hidden.
  function findVoice() {
    var voices = speech.getVoices() || [];
    voice = null;
    for (var i = 0; i < voices.length && !voice; i++) {
      if ((voices[i].lang || "").toLowerCase().replace("_", "-").indexOf(language) === 0) voice = voices[i];
    }
    button.hidden = !voice;
  }

  function stopped() {
    reading = false;
    button.textContent = listenLabel;
  }

  // The text of <main>, a block (heading, paragraph, list item) at a time: browsers cut off a long utterance.
  function read() {
    var main = document.querySelector("main");
    var blocks = (main ? main.innerText : "").split(/\n+/).map(function (line) {
      return line.trim();
    }).filter(Boolean);
    if (!blocks.length) return;
    reading = true;
    button.textContent = button.getAttribute("data-stop-label") || listenLabel;
    blocks.forEach(function (text, index) {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = voice.lang;
      utterance.voice = voice;
      if (index === blocks.length - 1) utterance.onend = stopped;
      speech.speak(utterance);
    });
  }

  button.addEventListener("click", function () {
    if (reading) {
      speech.cancel();
      stopped();
    } else if (voice) {
      speech.cancel();
      read();
    }
  });

  window.addEventListener("pagehide", function () {
    if (reading) speech.cancel(); // not on into the next page
  });
  findVoice();
  if (typeof speech.addEventListener === "function") speech.addEventListener("voiceschanged", findVoice);
  else speech.onvoiceschanged = findVoice;
})();
