"""The API's messages with values in them, in Turkish: an English pattern, a Turkish template."""

from __future__ import annotations

import re

# Messages with values in them: English pattern → Turkish template with the same groups.
TURKISH_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Must be between (\S+) and (\S+)\."), r"\1 ile \2 arasında olmalı."),
    (
        re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
        r"\1 ile \2 arasında olmalı.",
    ),
    (re.compile(r"Must be greater than or equal to (\S+)\."), r"En az \1 olmalı."),
    (re.compile(r"Must be less than or equal to (\S+)\."), r"En çok \1 olmalı."),
    (
        re.compile(r"Length must be between (\d+) and (\d+)\."),
        r"Uzunluk \1 ile \2 arasında olmalı.",
    ),
    (re.compile(r"Shorter than minimum length (\d+)\."), r"En az \1 karakter olmalı."),
    (re.compile(r"Longer than maximum length (\d+)\."), r"En çok \1 karakter olabilir."),
    (re.compile(r"Must be one of: (.+)\."), r"Şunlardan biri olmalı: \1."),
    (re.compile(r"The flag is already (\w+)\."), r"Bayrak zaten \1 durumunda."),
    (
        re.compile(r"Only an open flag can be acknowledged; it is (\w+)\."),
        r"Yalnızca açık bir bayrak onaylanabilir; durumu \1.",
    ),
    (
        re.compile(r"base_revision (\d+) is stale; the current revision is (\d+)\."),
        r"base_revision \1 eski; güncel revizyon \2.",
    ),
    (
        re.compile(r"An exercise with the slug (.+) already exists\."),
        r"\1 kısa adlı bir egzersiz zaten var.",
    ),
    (re.compile(r"No (\w+) with this id\."), r"Bu kimlikle bir kayıt yok (\1)."),
    (
        re.compile(
            r"Unanswered items: (.+) \((\d+)\); at most (\d+) may be left unanswered, so this "
            r"response cannot be scored\."
        ),
        r"Yanıtsız maddeler: \1 (\2); en çok \3 madde yanıtsız bırakılabilir, bu yüzden bu yanıt "
        r"puanlanamaz.",
    ),
    (
        re.compile(r"Not one of this item's answers: (.+)\."),
        r"Bu maddenin yanıtlarından biri değil: \1.",
    ),
    (
        re.compile(r"Rate the same activities as at baseline: (.+)\."),
        r"Başlangıçtaki etkinliklerin aynısını puanlayın: \1.",
    ),
    (
        re.compile(r"Name and rate at least (\d+) activities\."),
        r"En az \1 etkinliği adlandırıp puanlayın.",
    ),
    (
        re.compile(r"Answerable from (\S+) to (\S+), not on (\S+)\."),
        r"\1 ile \2 arasında yanıtlanabilir, \3 tarihinde değil.",
    ),
    (
        re.compile(r"No administration of (\S+) with this id is due by (\S+)\."),
        r"Bu kimlikle \2 tarihine kadar zamanı gelmiş bir \1 uygulaması yok.",
    ),
]
