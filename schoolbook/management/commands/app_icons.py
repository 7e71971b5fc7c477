"""manage.py app_icons: draws the installed app's icons (schoolbook.pwa.icons) into the static folder."""

from django.core.management.base import BaseCommand

from schoolbook.pwa.icons import ICONS, icon_draw, icons_folder


class Command(BaseCommand):
    help = "Draw the installed app's icons into static/icons/app-<version>/ (committed files)."

    def handle(self, *args, **options):
        folder = icons_folder()
        folder.mkdir(parents=True, exist_ok=True)
        for name, size, full in ICONS:
            image = icon_draw(size, full=full)
            if full:
                image = image.convert("RGB")
            image.save(folder / name, optimize=True)
            self.stdout.write(f"{folder / name}")
