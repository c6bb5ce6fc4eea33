from crm.readability import lix, readability, sentences


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
