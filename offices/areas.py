"""Whether a school lies in an office's area, from the free-text province and district both carry. Pure.

People write the same place several ways ("TP. Hà Nội", "Thành phố Hà Nội", "Ha Noi"; "Quận Đống Đa",
"Đống Đa"): names are compared folded (no accents or case, single spaces) and without the administrative
word in front."""

from schoolbook.text import fold

PREFIXES = ("thanh pho ", "tp. ", "tp ", "tinh ", "quan ", "huyen ", "thi xa ", "thi tran ", "phuong ", "xa ")


def area_key(name: str) -> str:
    key = " ".join(fold(name).replace(".", ". ").split())
    for prefix in PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :].strip()
    return key


def in_area(*, province: str, district: str, office_province: str, office_district: str) -> bool:
    """A province office (no district) covers its province; a district office, its district there."""
    if not area_key(office_province) or area_key(province) != area_key(office_province):
        return False
    return not office_district or area_key(district) == area_key(office_district)
