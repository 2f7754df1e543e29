"""Seeds deterministic catalog items, for demos and benchmarks."""

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Item

WORDS = [
    "Café",
    "Crème",
    "Brûlée",
    "Jalapeño",
    "Smørrebrød",
    "Crêpe",
    "Müsli",
    "Piñata",
    "Façade",
    "Naïve",
    "Déjà",
    "Açaí",
    "Gâteau",
    "Pâté",
    "Fiancée",
    "Über",
    "Soufflé",
    "Entrée",
    "Mañana",
    "Rösti",
]
PEOPLE = ["Alice", "bob", "CHLOE", "David", "eve"]
DOMAINS = ["Example.com", "EXAMPLE.org", "example.NET"]
COLORS = ["red", "green", "blue", "black", "white"]
SIZES = ["S", "M", "L", "XL"]


def make_item(n: int) -> Item:
    """Item number n: always the same name, email and attributes ("Café Crème 20", ...)."""
    first, second = WORDS[n % len(WORDS)], WORDS[n // len(WORDS) % len(WORDS)]
    color, size = COLORS[n % len(COLORS)], SIZES[n % len(SIZES)]
    return Item(
        name=f"{first} {second} {n}",
        description=f"A {color} {first.lower()} in size {size}, number {n}.",
        contact_email=f"{PEOPLE[n % len(PEOPLE)]}.{n}@{DOMAINS[n % len(DOMAINS)]}",
        attributes={"color": color, "size": size},
    )


class Command(BaseCommand):
    help = "Creates catalog items until there are --count of them (--force adds --count more)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=3000, help="Items wanted (3000).")
        parser.add_argument("--batch", type=int, default=1000, help="Rows per INSERT (1000).")
        parser.add_argument(
            "--force", action="store_true", help="Add --count items whatever already exists."
        )

    def handle(self, *args, count: int, batch: int, force: bool, verbosity: int, **options):
        if count < 0 or batch < 1:
            raise CommandError("--count must be 0 or more and --batch 1 or more.")
        existing = Item.objects.count()
        wanted = count if force else max(0, count - existing)
        if wanted:
            numbers = range(existing, existing + wanted)
            Item.objects.bulk_create((make_item(n) for n in numbers), batch_size=batch)
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(f"Created {wanted} items; {existing + wanted} in total.")
            )
