from django.db import migrations

STEPS = [
    (
        0,
        "Välkommen som ambassadör, {{ first_name }}!",
        "Hej {{ first_name }}!\n\nVälkommen till Kramfors ambassadörsnätverk. Som ambassadör berättar du om det som är "
        "bra i Kramfors – för vänner, besökare och de som funderar på att flytta hit.\n\n"
        "Under de närmaste veckorna får du några mejl med praktisk information. Hör gärna av dig till "
        "ambassadörssamordnaren om du undrar något.\n\nVarma hälsningar,\nKramfors kommun",
    ),
    (
        7,
        "Praktisk information för ambassadörer",
        "Hej {{ first_name }}!\n\nHär är det praktiska:\n\n- Du får nyhetsbrev och inbjudningar till träffar och "
        "utbildningar.\n- Du kan dela kommunens bilder och filmer i dina kanaler.\n- Tipsa gärna om fler som skulle "
        "passa som ambassadörer.\n\nHälsningar,\nKramfors kommun",
    ),
    (
        30,
        "Hur går det, {{ first_name }}?",
        "Hej {{ first_name }}!\n\nNu har du varit ambassadör i en månad. Hur har det gått? Svara gärna på det här "
        "mejlet och berätta – vi vill gärna höra vad som fungerar och vad vi kan göra bättre.\n\nHälsningar,\n"
        "Kramfors kommun",
    ),
]


def seed(apps, schema_editor):
    Sequence = apps.get_model("campaigns", "Sequence")
    Step = apps.get_model("campaigns", "Step")
    sequence, created = Sequence.objects.get_or_create(slug="onboarding", defaults={"name": "Introduktion för nya ambassadörer"})
    if created:
        Step.objects.bulk_create(
            [Step(sequence=sequence, delay_days=days, subject=subject, body=body) for days, subject, body in STEPS]
        )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
