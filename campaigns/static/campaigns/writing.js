// The Markdown fields of the admin (campaigns.writing.MarkdownTextarea): while the coordinator writes, the preview
// and the hint on how the text reads follow the text (posted to the field's data-preview-url, at most every 300 ms).
document.addEventListener("DOMContentLoaded", function () {
  var token = document.querySelector("[name=csrfmiddlewaretoken]");
  document.querySelectorAll("textarea[data-preview-url]").forEach(function (field) {
    var hint = document.getElementById(field.id + "-hint");
    var preview = document.getElementById(field.id + "-preview");
    var timer;
    function refresh() {
      var data = new FormData();
      data.append("body", field.value);
      data.append("sentence_words", field.dataset.sentenceWords);
      fetch(field.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: {"X-CSRFToken": token ? token.value : ""}
      }).then(function (response) { return response.ok ? response.json() : null; }).then(function (shown) {
        if (!shown) { return; }
        preview.innerHTML = shown.html;  // sanitised on the server (campaigns.merge.markdown_html)
        hint.innerHTML = shown.hint;
      });
    }
    field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  });
});
