from crm.readability import lix, page_text, readability, sentences


def test_lix_counts_words_sentences_and_long_words():
    # 8 words, 2 sentences, 2 long words (ambassadör, Kramfors has 8 letters): 8/2 + 100*2/8 = 29.0
    result = readability("Du är ambassadör i Kramfors. Det är bra!")
    assert (result.words, result.sentences) == (8, 2)
    assert result.lix == 29.0


def test_swedish_letters_are_letters():
    # "Östersjön" is one word of nine letters, not split at ö; "åå" is one short word.
    assert readability("Östersjön åå.").words == 2
    assert lix("Östersjön åå.") == 2 / 1 + 100 * 1 / 2


def test_longest_sentence_and_its_text():
    text = "Kort. Den här meningen är mycket längre än den första. Slut."
    result = readability(text)
    assert result.longest_sentence == 9
    assert result.longest.startswith("Den här meningen")


def test_a_blank_line_ends_a_sentence_and_numbers_are_not_words():
    assert sentences("Rubrik utan punkt\n\nBrödtext 2026 här.") == ["Rubrik utan punkt", "Brödtext 2026 här"]
    assert readability("Rubrik utan punkt\n\nBrödtext 2026 här.").words == 5


def test_empty_text():
    assert readability("  ").lix == 0.0


def test_links_and_addresses_are_not_words():
    assert (
        readability("Läs mer på https://www.kramfors.se/ambassadorer/ eller skriv till maria.ek@kramfors.se.").words
        == 6
    )


def test_an_address_last_in_a_sentence_leaves_its_full_stop():
    assert sentences("Skriv till maria.ek@kramfors.se. Vi svarar snart.") == ["Skriv till", "Vi svarar snart"]
    assert sentences("Läs på https://www.imy.se/. Sedan kan du klaga.") == ["Läs på", "Sedan kan du klaga"]


# The text of a rendered page (page_text) ------------------------------------------------------------------------

PAGE = """<!doctype html><html lang="sv"><head><title>Titel som inte räknas</title><style>p { color: red }</style></head>
<body><header><a href="/lattlast/">Lättläst</a></header>
<main id="main">
  <h1>Bli ambassadör</h1>
  <p>Tycker du om Kramfors<br>Då kan du bli
     <a href="/bli-ambassador/">ambassadör</a>.</p>
  <div class="honeypot" aria-hidden="true"><label for="id_website">Lämna det här fältet tomt</label></div>
  <p hidden>Dold text</p><span aria-hidden="true">Ikon</span>
  <script>var text = "inte läst";</script>
  <label for="x">Förnamn</label><input id="x">
  <ul><li>Ett</li><li>Två</li></ul>
  <button type="submit">Skicka</button>
</main>
<footer>Kramfors kommun</footer></body></html>"""


def test_page_text_reads_main_only_and_each_block_is_a_sentence():
    assert sentences(page_text(PAGE)) == [
        "Bli ambassadör",
        "Tycker du om Kramfors",
        "Då kan du bli ambassadör",
        "Förnamn",
        "Ett",
        "Två",
        "Skicka",
    ]


def test_a_heading_without_a_full_stop_is_a_sentence_of_its_own():
    text = page_text("<main><h2>Vad gör en ambassadör</h2><p>Du berättar om Kramfors för andra.</p></main>")
    assert (readability(text).sentences, readability(text).longest_sentence) == (2, 6)  # not one of 10 words


def test_br_splits_and_inline_elements_do_not():
    text = page_text("<main><p>Ring <strong>oss</strong> i dag<br/>Skriv till <em>oss</em></p></main>")
    assert sentences(text) == ["Ring oss i dag", "Skriv till oss"]


def test_hidden_parts_scripts_and_the_honeypot_are_not_read():
    text = page_text(PAGE)
    for unread in ("Lämna", "Dold", "Ikon", "inte läst", "color", "Titel", "Lättläst", "Kramfors kommun"):
        assert unread not in text, unread


def test_a_page_without_main_is_read_whole():
    assert sentences(page_text("<html><body><p>Hej</p><p>Då</p></body></html>")) == ["Hej", "Då"]
