"""HF416: Composer dev dependencies and xdebug in the shipped image (issue 17 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.engine import lint
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF416"


def test_composer_install_in_the_shipped_stage_fires_and_fix_adds_no_dev() -> None:
    # corpus 1415 (chainguard-dev/dfc testdata): `cd /app && composer install` in a single-stage image
    before = (
        "FROM php:8.3-cli\nCOPY --from=composer:latest /usr/bin/composer /usr/bin/composer\nWORKDIR /app\n"
        "COPY . /app\nRUN useradd -r -s /bin/bash nonroot && \\\n    chown -R nonroot /app && \\\n"
        '    cd /app && composer install\nUSER nonroot\nENTRYPOINT [ "php", "minicli", "mycommand" ]\n'
    )
    ds = findings(before, CODE)
    assert [d.row for d in ds] == [7] and "require-dev" in ds[0].message
    assert fixed(before, CODE) == before  # the fix is unsafe
    assert fixed(before, CODE, unsafe=True) == before.replace("composer install", "composer install --no-dev")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "FROM php:8.3-fpm\nRUN composer install --optimize-autoloader\n",
            "FROM php:8.3-fpm\nRUN composer install --no-dev --optimize-autoloader\n",
        ),
        (
            "FROM php:8.3-apache\nRUN php composer.phar update -d /app\n",
            "FROM php:8.3-apache\nRUN php composer.phar update --no-dev -d /app\n",
        ),
    ],
)
def test_fix_pairs(before: str, after: str) -> None:
    assert fixed(before, CODE, unsafe=True) == after


def test_xdebug_fires_without_fix() -> None:
    text = (
        "FROM php:8.3-fpm\nRUN pecl install xdebug-3.3.2 && docker-php-ext-enable xdebug\n"
        "RUN apt-get install -y php8.2-xdebug\nRUN apk add --no-cache php83-pecl-xdebug\n"
        "RUN install-php-extensions xdebug\n"
    )
    ds = findings(text, CODE)
    assert [d.row for d in ds] == [2, 2, 3, 4, 5]
    assert all(d.fix is None and "debugger" in d.message for d in ds)


def test_declines_when_a_dev_tool_runs_later() -> None:
    for text in (
        "FROM php:8.3-fpm\nRUN composer install && vendor/bin/phpunit\n",
        "FROM php:8.3-fpm\nRUN composer install\nRUN ./vendor/bin/phpstan analyse\n",
        'FROM php:8.3-cli\nRUN composer install\nCMD ["vendor/bin/pest"]\n',
    ):
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None and "later step runs" in ds[0].message
        assert fixed(text, CODE, unsafe=True) == text


@pytest.mark.parametrize(
    "text",
    [
        "FROM php:8.3-fpm\nRUN composer install --no-dev --optimize-autoloader\n",
        "FROM php:8.3-fpm\nENV COMPOSER_NO_DEV=1\nRUN composer install\n",
        "FROM php:8.3-fpm\nRUN COMPOSER_NO_DEV=1 composer install\n",
        # a builder stage only copied from
        "FROM composer:2 AS vendor\nRUN composer install\nRUN pecl install xdebug\n"
        "FROM php:8.3-fpm\nCOPY --from=vendor /app/vendor /app/vendor\n",
        # corpus 1203 (a library's test image): CLI base, no CMD/ENTRYPOINT
        "ARG version=cli\nFROM php:$version\nCOPY . /var/www\nRUN composer install\n",
        "FROM php:8.3-fpm\nRUN composer require monolog/monolog\nRUN pecl install redis\n",
    ],
)
def test_must_not_fire(text: str) -> None:
    assert codes(text, CODE) == []


def test_corpus_hits(corpus_dir: Path) -> None:
    """Measured 2026-12-05: 2 hits (chainguard-dev/dfc testdata before/after), both true."""
    hits = []
    for path in sorted((corpus_dir / "dockerfiles").iterdir()):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        hits += [
            d
            for d in lint(path.name, text, "dockerfile", Settings(select=(CODE,))).diagnostics
            if d.code == CODE
        ]
    assert 1 <= len(hits) <= 10, hits
