#!/usr/bin/env python3
"""Generate a labelled evaluation set for Warden's masking detectors (crates/mask).

Setup (once; a virtualenv keeps it apart from the system Python):

    python3 -m venv .venv && .venv/bin/pip install -r scripts/mask-eval/requirements.txt
    # generate.py alone needs: pip install faker==40.63.0 phonenumbers==9.0.43

Run:

    .venv/bin/python scripts/mask-eval/generate.py --out /tmp/mask-eval.jsonl

Writes one JSON object per line:

    {"text": "...", "spans": [{"entity": "email", "start": 4, "end": 20, "format": "plain"}],
      "locale": "de_DE", "layout": "json", "negatives": [{"kind": "uuid", "start": 30, "end": 66}]}

`start`/`end` are code-point offsets (Python string indices); `entity` is one of Warden's
detector names; `format` says which written form of the entity this is (for per-format recall);
`negatives` lists the look-alikes planted in the text, which are NOT entities, with their kind
and code-point offsets (so a false positive can be traced to what it fired on).

The set is seeded and deterministic for a given seed and package versions (Faker's data and
libphonenumber's metadata change between releases, hence the pinned versions).

What counts as an entity (the gold standard):
- email: Faker's addresses, plus sub-addressed, upper-case and accented-Latin local parts.
- card: Luhn-valid numbers with a real issuer prefix and length (Visa 13/16/19, Mastercard 51-55
  and 2221-2720, Amex, Discover, JCB 3528-3589, Diners, UnionPay 62), bare, grouped with spaces
  or dashes (4-4-4-4, Amex 4-6-5, Diners 4-6-4).
- ssn: Faker's en_US SSNs (valid area/group/serial) as 123-45-6789, 123 45 6789, and bare
  123456789 (bare only right after an "SSN" label).
- phone: numbers from Faker's locale phone_number() that libphonenumber says are valid for the
  locale's region, written as Faker wrote them (no extensions), E.164 (+441154960914),
  international (+44 115 496 0914) or national (0115 496 0914) format.
- iban: Faker's locale IBANs (valid mod-97), compact or in groups of four.
- ip: IPv4 (public, private, with port, in a URL), IPv6 (full, compressed, bracketed with
  port, IPv4-mapped).
- aws_key: access key ids (AKIA/ASIA + 16) and labelled 40-character secret keys (only the
  value is the span).
- jwt: signed (HS256/RS256/ES256) and unsigned (alg none) tokens, bare or after "Bearer".
- private_key: PEM private key blocks (PKCS#8, RSA, EC, OpenSSH, encrypted), raw or
  JSON-escaped with literal \\n, and one truncated block without its END line.
- api_token: GitHub (ghp_, gho_, ghs_, github_pat_), OpenAI (sk-, sk-proj-), Anthropic
  (sk-ant-), Slack (xoxb-, xoxp-), GitLab (glpat-), Google (AIza), Stripe (sk_live_, rk_live_,
  sk_test_).

Negatives (look-alikes that are not entities): order numbers, timestamps, dates, times, UUIDs,
version numbers, invalid-Luhn card-like numbers, SSN-shaped numbers with invalid area/group/
serial, IBANs with a bad checksum, prices, zip/postal codes, ISBNs, EAN-13 barcodes, git SHAs,
MAC addresses, UPS tracking numbers, certificates and public keys, base64 that is not a JWT,
prose that starts like a token prefix.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import ipaddress
import json
import os
import random
import string
import sys
import time
from datetime import datetime, timezone
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

LOCALES = {
    # locale: (phone region, language of the sentence templates)
    "en_US": ("US", "en"),
    "en_GB": ("GB", "en"),
    "en_CA": ("CA", "en"),
    "en_AU": ("AU", "en"),
    "en_IN": ("IN", "en"),
    "de_DE": ("DE", "de"),
    "fr_FR": ("FR", "fr"),
    "es_ES": ("ES", "es"),
    "it_IT": ("IT", "it"),
    "nl_NL": ("NL", "nl"),
    "pt_BR": ("BR", "pt"),
    "pl_PL": ("PL", "en"),
    "sv_SE": ("SE", "en"),
    "ja_JP": ("JP", "ja"),
}

ENTITIES = [
    "email", "card", "ssn", "phone", "iban", "ip", "aws_key", "jwt", "private_key", "api_token",
]

# Words for each entity in each template language.
LABELS = {
    "en": {"email": "email", "card": "card number", "ssn": "SSN", "phone": "phone",
           "iban": "IBAN", "ip": "IP address", "aws_key": "AWS key", "jwt": "token",
           "private_key": "private key", "api_token": "API key", "ref": "reference"},
    "de": {"email": "E-Mail", "card": "Kartennummer", "ssn": "SSN", "phone": "Telefon",
           "iban": "IBAN", "ip": "IP-Adresse", "aws_key": "AWS-Schlüssel", "jwt": "Token",
           "private_key": "privater Schlüssel", "api_token": "API-Schlüssel",
           "ref": "Referenz"},
    "fr": {"email": "courriel", "card": "numéro de carte", "ssn": "SSN", "phone": "téléphone",
           "iban": "IBAN", "ip": "adresse IP", "aws_key": "clé AWS", "jwt": "jeton",
           "private_key": "clé privée", "api_token": "clé d'API", "ref": "référence"},
    "es": {"email": "correo", "card": "número de tarjeta", "ssn": "SSN", "phone": "teléfono",
           "iban": "IBAN", "ip": "dirección IP", "aws_key": "clave AWS", "jwt": "token",
           "private_key": "clave privada", "api_token": "clave de API", "ref": "referencia"},
    "it": {"email": "email", "card": "numero di carta", "ssn": "SSN", "phone": "telefono",
           "iban": "IBAN", "ip": "indirizzo IP", "aws_key": "chiave AWS", "jwt": "token",
           "private_key": "chiave privata", "api_token": "chiave API", "ref": "riferimento"},
    "nl": {"email": "e-mail", "card": "kaartnummer", "ssn": "SSN", "phone": "telefoon",
           "iban": "IBAN", "ip": "IP-adres", "aws_key": "AWS-sleutel", "jwt": "token",
           "private_key": "privésleutel", "api_token": "API-sleutel", "ref": "referentie"},
    "pt": {"email": "e-mail", "card": "número do cartão", "ssn": "SSN", "phone": "telefone",
           "iban": "IBAN", "ip": "endereço IP", "aws_key": "chave AWS", "jwt": "token",
           "private_key": "chave privada", "api_token": "chave de API", "ref": "referência"},
    "ja": {"email": "メール", "card": "カード番号", "ssn": "SSN", "phone": "電話番号",
           "iban": "IBAN", "ip": "IPアドレス", "aws_key": "AWSキー", "jwt": "トークン",
           "private_key": "秘密鍵", "api_token": "APIキー", "ref": "参照番号"},
}

# Sentence templates: {label} is the entity word, {v} the value, {name} a Faker name.
SENTENCES = {
    "en": [
        "{label}: {v}",
        "The customer's {label} is {v}.",
        "Updated {label} for {name} to {v} yesterday.",
        "Hi {name}, we have {v} on file as your {label}; reply if that's wrong.",
        "Can you double-check {v}? {name} says it bounced.",
        "- {label} = {v}\n- owner = {name}",
        "Escalated by {name}: \"{v}\" ({label})",
    ],
    "de": [
        "{label}: {v}",
        "Die {label} von {name} lautet {v}.",
        "Bitte prüfen Sie {v} bis morgen, danke!",
        "Hallo {name}, unter {v} ({label}) erreichen wir Sie nicht.",
    ],
    "fr": [
        "{label} : {v}",
        "Le {label} de {name} est {v}.",
        "Merci de vérifier {v} avant lundi.",
        "Bonjour {name}, votre {label} ({v}) a été mis à jour.",
    ],
    "es": [
        "{label}: {v}",
        "El {label} de {name} es {v}.",
        "Por favor, revise {v} antes del viernes.",
        "Hola {name}, su {label} ({v}) fue actualizado.",
    ],
    "it": [
        "{label}: {v}",
        "Il {label} di {name} è {v}.",
        "Per favore controlla {v} entro domani.",
        "Ciao {name}, il tuo {label} ({v}) è stato aggiornato.",
    ],
    "nl": [
        "{label}: {v}",
        "Het {label} van {name} is {v}.",
        "Kun je {v} even controleren?",
        "Hallo {name}, je {label} ({v}) is bijgewerkt.",
    ],
    "pt": [
        "{label}: {v}",
        "O {label} de {name} é {v}.",
        "Por favor, verifique {v} até amanhã.",
        "Olá {name}, seu {label} ({v}) foi atualizado.",
    ],
    "ja": [
        "{label}：{v}",
        "{name}様の{label}は{v}です。",
        "{label}（{v}）を確認してください。",
        "{name}さんから連絡: {v}",
    ],
}

JSON_KEYS = {
    "email": ["email", "contact_email", "userEmail"],
    "card": ["card_number", "pan", "cardNumber"],
    "ssn": ["ssn", "social_security_number"],
    "phone": ["phone", "mobile", "phoneNumber"],
    "iban": ["iban", "account_iban"],
    "ip": ["client_ip", "remote_addr", "ip"],
    "aws_key": ["aws_access_key_id", "accessKeyId"],
    "jwt": ["id_token", "access_token", "jwt"],
    "private_key": ["private_key", "key_pem"],
    "api_token": ["api_key", "token", "github_token"],
}

NEG_KEYS = {
    "order": "order_id", "timestamp": "created_at", "date": "date", "time": "time",
    "uuid": "request_id", "version": "version", "card_luhn": "ref", "ssn_invalid": "case_no",
    "iban_checksum": "account_ref", "price": "price", "zip": "postcode", "isbn": "isbn",
    "ean": "barcode", "git_sha": "commit", "mac": "mac", "tracking": "tracking",
    "certificate": "cert_pem", "base64": "payload", "token_prose": "note",
}


NEG = "negative"
# IBAN lengths from the SWIFT IBAN registry, for the countries Faker's locales produce here.
IBAN_LENGTHS = {"GB": 22, "DE": 22, "ES": 24, "FR": 27, "IT": 27, "NL": 18, "PL": 28, "BR": 29}
# Faker's date helpers default to "now"; fixed bounds keep the output deterministic.
START, END = datetime(2021, 1, 1), datetime(2026, 6, 30)


@dataclass
class Span:
    """A planted entity (its gold label and written form) or, with entity NEG, a look-alike."""

    entity: str
    text: str
    fmt: str
    pre: str = ""  # written before the span but not part of it (`http://`)
    post: str = ""  # written after it (`:5432`)


@dataclass
class Doc:
    """A text under construction: literal pieces and spans, with code-point offsets."""

    parts: list = field(default_factory=list)

    def lit(self, s: str) -> None:
        self.parts.append(s)

    def span(self, sp: Span) -> None:
        if sp.pre:
            self.parts.append(sp.pre)
        self.parts.append(sp)
        if sp.post:
            self.parts.append(sp.post)

    def render(self) -> tuple[str, list[dict], list[dict]]:
        out, spans, negs, pos = [], [], [], 0
        for p in self.parts:
            if isinstance(p, Span):
                if p.entity == NEG:
                    negs.append({"kind": p.fmt, "start": pos, "end": pos + len(p.text)})
                else:
                    spans.append({"entity": p.entity, "start": pos, "end": pos + len(p.text),
                                  "format": p.fmt})
                out.append(p.text)
                pos += len(p.text)
            else:
                out.append(p)
                pos += len(p)
        return "".join(out), spans, negs


class Gen:
    """All value generators, sharing one seeded RNG and one Faker per locale."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = {}
        for i, loc in enumerate(LOCALES):
            f = Faker(loc)
            f.seed_instance(seed * 1000 + i)
            self.fakers[loc] = f
        self.us = self.fakers["en_US"]

    # ---- helpers -------------------------------------------------------------------------
    def alnum(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def mixed(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        """A random string that surely uses upper, lower and digits (as real tokens do)."""
        while True:
            s = self.alnum(n, alphabet)
            if (any(c.isupper() for c in s) and any(c.islower() for c in s)
                    and any(c.isdigit() for c in s)):
                return s

    @staticmethod
    def luhn_digit(partial: str) -> str:
        total = 0
        for i, ch in enumerate(reversed(partial)):
            d = int(ch)
            if i % 2 == 0:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        return str((10 - total % 10) % 10)

    @staticmethod
    def group(digits: str, sizes: list[int], sep: str) -> str:
        out, i = [], 0
        for s in sizes:
            out.append(digits[i:i + s])
            i += s
        if i < len(digits):
            out.append(digits[i:])
        return sep.join(x for x in out if x)

    def card_digits(self) -> tuple[str, str]:
        kind = self.rng.choice(["visa16", "visa16", "mastercard", "mastercard", "amex",
                                "discover", "jcb", "diners", "visa13", "visa19", "unionpay"])
        if kind == "jcb":
            while True:
                n = self.us.credit_card_number(card_type="jcb16")
                if 3528 <= int(n[:4]) <= 3589:
                    return n, kind
        if kind == "unionpay":
            body = "62" + "".join(self.rng.choice(string.digits) for _ in range(13))
            return body + self.luhn_digit(body), kind
        return self.us.credit_card_number(card_type=kind), kind

    def format_card(self, digits: str, kind: str) -> tuple[str, str]:
        style = self.rng.choice(["bare", "space", "dash"])
        if style == "bare":
            return digits, f"{kind}/bare"
        sep = " " if style == "space" else "-"
        if kind == "amex":
            sizes = [4, 6, 5]
        elif kind == "diners":
            sizes = [4, 6, 4]
        else:
            sizes = [4] * (len(digits) // 4)
        return self.group(digits, sizes, sep), f"{kind}/{style}"

    # ---- entities --------------------------------------------------------------------------
    def email(self, loc: str) -> Span:
        f = self.fakers[loc]
        r = self.rng.random()
        if r < 0.45:
            return Span("email", f.email(), "plain")
        if r < 0.6:
            return Span("email", f.company_email(), "company")
        if r < 0.72:
            user = f.user_name()
            return Span("email", f"{user}+{self.alnum(5, string.ascii_lowercase)}@"
                        f"{f.free_email_domain()}", "plus-tag")
        if r < 0.82:
            first, last = self.us.first_name(), self.us.last_name()
            return Span("email", f"{first}.{last}@{self.us.domain_name().upper()}",
                        "upper-case")
        if r < 0.92 and loc[:2] in ("de", "fr", "es", "it", "pt", "nl"):
            accented = self.rng.choice(["josé", "müller", "françois", "zoë", "jürgen", "inês",
                                        "andré", "björn", "léa", "núñez"])
            last = "".join(c for c in f.last_name().lower() if c.isalpha())
            return Span("email", f"{accented}.{last}@"
                        f"{f.free_email_domain()}", "accented-local")
        return Span("email", f"{f.user_name()}@{self.us.domain_word()}.co.uk", "sub-domain")

    def card(self, loc: str) -> Span:
        digits, kind = self.card_digits()
        text, fmt = self.format_card(digits, kind)
        return Span("card", text, fmt)

    def ssn(self, loc: str, labelled: bool = False) -> Span:
        s = self.us.ssn()  # 123-45-6789, valid area/group/serial
        style = self.rng.choice(["dash", "dash", "space", "bare"] if labelled else
                                ["dash", "dash", "space"])
        if style == "space":
            s = s.replace("-", " ")
        elif style == "bare":
            s = s.replace("-", "")
        return Span("ssn", s, style)

    def phone(self, loc: str) -> Span:
        region = LOCALES[loc][0]
        f = self.fakers[loc]
        for _ in range(200):
            raw = f.phone_number()
            if "x" in raw.lower() or "ext" in raw.lower():
                continue
            try:
                num = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(num):
                break
        else:
            num = phonenumbers.example_number_for_type(region,
                                                       phonenumbers.PhoneNumberType.MOBILE)
            raw = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        style = self.rng.choice(["faker", "faker", "e164", "international", "national"])
        if style == "faker":
            text = raw.strip()
        elif style == "e164":
            text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        elif style == "international":
            text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        else:
            text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        return Span("phone", text, f"{region}/{style}")

    def valid_iban(self, loc: str) -> str:
        """Faker's locale IBAN, or en_GB's where Faker's has the wrong length (en_IN's GB
        IBANs are 21 characters; the registry says 22)."""
        v = self.fakers[loc].iban()
        if IBAN_LENGTHS.get(v[:2]) != len(v):
            v = self.fakers["en_GB"].iban()
        return v

    def iban(self, loc: str) -> Span:
        v = self.valid_iban(loc)
        if self.rng.random() < 0.5:
            return Span("iban", v, f"{v[:2]}/compact")
        return Span("iban", " ".join(v[i:i + 4] for i in range(0, len(v), 4)), f"{v[:2]}/spaced")

    def ip(self, loc: str) -> Span:
        f = self.us
        r = self.rng.random()
        if r < 0.25:
            return Span("ip", f.ipv4_public(), "v4/public")
        if r < 0.4:
            return Span("ip", f.ipv4_private(), "v4/private")
        if r < 0.5:
            return Span("ip", f.ipv4_private(), "v4/port",
                        post=f":{self.rng.choice([22, 443, 5432, 8080])}")
        if r < 0.65:
            return Span("ip", f.ipv6(), "v6/full")
        if r < 0.8:
            prefix = self.rng.choice(["2001:db8:", "fe80:", "2a00:1450:4001:", "fd00:"])
            host = ":".join(f"{self.rng.randrange(0x10000):x}" for _ in range(2))
            return Span("ip", str(ipaddress.IPv6Address(prefix + ":" + host)), "v6/compressed")
        if r < 0.9:
            return Span("ip", f"::ffff:{f.ipv4_public()}", "v6/v4-mapped")
        if r < 0.95:
            return Span("ip", f.ipv4_public(), "v4/in-url", pre="http://",
                        post=f":{self.rng.choice([80, 8080, 9000])}/healthz")
        host = f"{self.rng.randrange(1, 0xffff):x}"
        return Span("ip", str(ipaddress.IPv6Address("2001:db8::" + host)), "v6/bracketed-port",
                    pre="[", post=f"]:{self.rng.choice([443, 8443])}")

    def aws_key(self, loc: str) -> Span:
        prefix = self.rng.choice(["AKIA", "AKIA", "AKIA", "ASIA"])
        return Span("aws_key", prefix + self.alnum(16, string.ascii_uppercase + "234567"),
                    f"key-id/{prefix}")

    def aws_secret(self) -> Span:
        return Span("aws_key", self.mixed(40, string.ascii_letters + string.digits + "/+"),
                    "secret/labelled")

    def jwt(self, loc: str) -> Span:
        alg = self.rng.choice(["HS256", "HS256", "RS256", "ES256", "none"])
        header = {"alg": alg, "typ": "JWT"}
        if alg != "HS256" and alg != "none":
            header["kid"] = self.alnum(8)
        payload = {"sub": str(self.us.uuid4()), "name": self.us.name(),
                   "iat": 1700000000 + self.rng.randrange(10**7)}
        if self.rng.random() < 0.5:
            payload["email"] = self.us.email()

        def b64(b: bytes) -> str:
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

        head = b64(json.dumps(header, separators=(",", ":")).encode())
        body = b64(json.dumps(payload, separators=(",", ":")).encode())
        signing = f"{head}.{body}".encode()
        if alg == "none":
            sig = ""
        elif alg == "HS256":
            sig = b64(hmac.new(b"secret", signing, hashlib.sha256).digest())
        elif alg == "RS256":
            sig = b64(self.rng.randbytes(256))
        else:
            sig = b64(self.rng.randbytes(64))
        return Span("jwt", f"{head}.{body}.{sig}", f"alg/{alg}")

    def pem_body(self, nbytes: int) -> list[str]:
        b = base64.b64encode(self.rng.randbytes(nbytes)).decode()
        return [b[i:i + 64] for i in range(0, len(b), 64)]

    def private_key(self, loc: str, escaped: bool = False) -> Span:
        label = self.rng.choice(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "])
        size = {"": 1218, "RSA ": 1190, "EC ": 121, "OPENSSH ": 400, "ENCRYPTED ": 1298}[label]
        lines = [f"-----BEGIN {label}PRIVATE KEY-----", *self.pem_body(size)]
        truncated = not escaped and self.rng.random() < 0.1
        if not truncated:
            lines.append(f"-----END {label}PRIVATE KEY-----")
        sep = "\\n" if escaped else "\n"
        fmt = ("pkcs8" if not label else label.strip().lower())
        fmt += "/json-escaped" if escaped else ("/truncated" if truncated else "/raw")
        return Span("private_key", sep.join(lines), fmt)

    def api_token(self, loc: str) -> Span:
        kind = self.rng.choice(["ghp_", "gho_", "ghs_", "github_pat_", "sk-", "sk-proj-",
                                "sk-ant-api03-", "xoxb-", "xoxp-", "glpat-", "AIza", "sk_live_",
                                "rk_live_", "sk_test_"])
        if kind in ("ghp_", "gho_", "ghs_"):
            body = self.mixed(36)
        elif kind == "github_pat_":
            body = self.mixed(22) + "_" + self.mixed(59)
        elif kind == "sk-":
            body = self.mixed(48)
        elif kind == "sk-proj-":
            body = self.mixed(74, string.ascii_letters + string.digits + "_-") + "A"
        elif kind == "sk-ant-api03-":
            body = self.mixed(93, string.ascii_letters + string.digits + "_-") + "AA"
        elif kind in ("xoxb-", "xoxp-"):
            body = (f"{self.rng.randrange(10**11, 10**12)}-{self.rng.randrange(10**11, 10**12)}"
                    f"-{self.mixed(24)}")
        elif kind == "glpat-":
            body = self.mixed(20, string.ascii_letters + string.digits + "_-")
        elif kind == "AIza":
            body = "Sy" + self.alnum(33, string.ascii_letters + string.digits + "_-")
        else:
            body = self.mixed(24 if kind == "sk_test_" else 99)
        return Span("api_token", kind + body, f"prefix/{kind}")

    def entity(self, name: str, loc: str) -> Span:
        if name == "ssn":
            return self.ssn(loc)
        return getattr(self, name)(loc)

    # ---- negatives -------------------------------------------------------------------------
    def negative(self, kind: str, loc: str) -> str:
        f, rng = self.fakers[loc], self.rng
        if kind == "order":
            return rng.choice([
                f"ORD-{rng.randrange(2019, 2027)}-{rng.randrange(10**6):06d}",
                f"#{rng.randrange(10**8, 10**9)}",
                f"PO-{rng.randrange(4500000000, 4599999999)}",
                f"INV/{rng.randrange(2019, 2027)}/{rng.randrange(10**5):05d}",
                f"{rng.randrange(100, 999)}-{rng.randrange(1000000, 9999999)}-"
                f"{rng.randrange(1000000, 9999999)}",  # Amazon-style order id
            ])
        if kind == "timestamp":
            dt = f.date_time_between(start_date=START, end_date=END)
            return rng.choice([
                dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z",
                dt.strftime("%Y-%m-%d %H:%M:%S") + rng.choice([" +05:30", " -08:00", " +01:00"]),
                dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                str(int(dt.replace(tzinfo=timezone.utc).timestamp())),
                str(int(dt.replace(tzinfo=timezone.utc).timestamp() * 1000)),
            ])
        if kind == "date":
            d = f.date_between(start_date=datetime(1950, 1, 1), end_date=END)
            return rng.choice([d.strftime("%Y-%m-%d"), d.strftime("%d.%m.%Y"),
                               d.strftime("%m/%d/%Y"), d.strftime("%Y%m%d"),
                               d.strftime("%d %m %Y")])
        if kind == "time":
            return f.time(end_datetime=END) + rng.choice(["", ".123", ",456"])
        if kind == "uuid":
            u = str(f.uuid4())
            return rng.choice([u, u.upper(), u.replace("-", "")])
        if kind == "version":
            return rng.choice([
                f"v{rng.randrange(10)}.{rng.randrange(30)}.{rng.randrange(100)}",
                f"{rng.randrange(1, 20)}.{rng.randrange(30)}.{rng.randrange(100)}"
                f"-rc.{rng.randrange(9)}",
                f"Version {rng.randrange(1, 9)}.{rng.randrange(10)}.{rng.randrange(10)}"
                f".{rng.randrange(10)}",
                f"AssemblyVersion(\"{rng.randrange(1, 9)}.0.{rng.randrange(10)}.0\")",
                f"go{rng.randrange(1, 2)}.{rng.randrange(18, 24)}.{rng.randrange(10)}",
                f"python-{rng.randrange(3, 4)}.{rng.randrange(8, 14)}.{rng.randrange(20)}",
            ])
        if kind == "card_luhn":
            digits, ck = self.card_digits()
            bad = digits[:-1] + str((int(digits[-1]) + rng.randrange(1, 10)) % 10)
            return self.format_card(bad, ck)[0]
        if kind == "ssn_invalid":
            area = rng.choice(["000", "666", str(rng.randrange(900, 1000))])
            group = f"{rng.randrange(1, 100):02d}"
            serial = f"{rng.randrange(1, 10000):04d}"
            if rng.random() < 0.3:
                area, group = f"{rng.randrange(1, 666):03d}", "00"
            elif rng.random() < 0.2:
                area, serial = f"{rng.randrange(1, 666):03d}", "0000"
            return f"{area}-{group}-{serial}"
        if kind == "iban_checksum":
            v = self.valid_iban(loc)
            check = int(v[2:4])
            bad = f"{(check + rng.randrange(1, 97)) % 97 + 2:02d}"[:2]
            if bad == v[2:4]:
                bad = f"{(check + 1) % 97 + 2:02d}"[:2]
            v = v[:2] + bad + v[4:]
            return v if rng.random() < 0.5 else " ".join(v[i:i + 4] for i in range(0, len(v), 4))
        if kind == "price":
            amount = rng.randrange(100, 10**7) / 100
            return rng.choice([f"${amount:,.2f}", f"{amount:,.2f} €".replace(",", "X")
                               .replace(".", ",").replace("X", "."), f"£{amount:.2f}",
                               f"¥{int(amount * 100):,}", f"R$ {amount:,.2f}", f"USD {amount:.2f}"])
        if kind == "zip":
            return f.postcode()
        if kind == "isbn":
            return rng.choice([f.isbn13(), f.isbn10(), f.isbn13().replace("-", "")])
        if kind == "ean":
            return f.ean13()
        if kind == "git_sha":
            return rng.choice([f.sha1(), f.sha256(), f.sha1()[:12]])
        if kind == "mac":
            return f.mac_address()
        if kind == "tracking":
            return "1Z" + self.alnum(6, string.ascii_uppercase + string.digits) + \
                "".join(rng.choice(string.digits) for _ in range(10))
        if kind == "certificate":
            what = rng.choice(["CERTIFICATE", "PUBLIC KEY", "CERTIFICATE REQUEST"])
            return "\n".join([f"-----BEGIN {what}-----", *self.pem_body(600),
                              f"-----END {what}-----"])
        if kind == "base64":
            blob = json.dumps({"user": f.user_name(), "n": rng.randrange(1000)}).encode()
            return base64.urlsafe_b64encode(blob).rstrip(b"=").decode()
        if kind == "token_prose":
            return rng.choice(["sk-learn-extensions", "ghp_token_here", "xoxb-your-token",
                               "sk_live_key_goes_here", "AKIA_PLACEHOLDER", "glpat-example",
                               "the sk-proj- prefix", "eyJ tokens"])
        raise ValueError(kind)


NEG_KINDS = list(NEG_KEYS)

NEG_SENTENCES = [
    "Order {v} shipped on time.",
    "See {v} for details.",
    "{v}",
    "ref {v} (customer {name})",
    "Logged at {v} by {name}.",
    "{name} paid {v}.",
]


def render_sentence(g: Gen, doc: Doc, loc: str, sp: Span) -> None:
    lang = LOCALES[loc][1]
    f = g.fakers[loc]
    tpl = g.rng.choice(SENTENCES[lang])
    label = LABELS[lang][sp.entity]
    if sp.entity == "jwt" and g.rng.random() < 0.4:
        before, after = "Authorization: Bearer ", ""
    elif sp.entity == "email" and g.rng.random() < 0.2:
        before, after = f"{f.name()} <", ">"
    else:
        before, after = "", ""
    head, _, tail = tpl.partition("{v}")
    doc.lit(head.replace("{label}", label).replace("{Label}", label.capitalize())
            .replace("{name}", f.name()) + before)
    doc.span(sp)
    doc.lit(after + tail.replace("{label}", label).replace("{name}", f.name()))


def aws_secret_doc(g: Gen, doc: Doc) -> None:
    sp = g.aws_secret()
    style = g.rng.choice(["env", "json", "yaml", "cli", "ini", "xml"])
    if style == "env":
        doc.lit("AWS_ACCESS_KEY_ID=")
        doc.span(g.aws_key("en_US"))
        doc.lit("\nAWS_SECRET_ACCESS_KEY=")
        doc.span(sp)
    elif style == "json":
        doc.lit('{"accessKeyId": "')
        doc.span(g.aws_key("en_US"))
        doc.lit('", "secretAccessKey": "')
        doc.span(sp)
        doc.lit('"}')
    elif style == "yaml":
        doc.lit("aws:\n  aws_secret_access_key: ")
        doc.span(sp)
    elif style == "cli":
        doc.lit("aws configure set aws_secret_access_key ")
        doc.span(sp)
    elif style == "ini":
        doc.lit("[default]\naws_secret_access_key = ")
        doc.span(sp)
    else:
        doc.lit("<SecretAccessKey>")
        doc.span(sp)
        doc.lit("</SecretAccessKey>")
    sp.fmt = f"secret/{style}"


def json_value(sp: Span | str) -> Span | str:
    """The JSON-escaped form of a value (spans keep their entity)."""
    if isinstance(sp, Span):
        esc = lambda x: json.dumps(x, ensure_ascii=False)[1:-1]  # noqa: E731
        return Span(sp.entity, esc(sp.text), sp.fmt, esc(sp.pre), esc(sp.post))
    return json.dumps(sp, ensure_ascii=False)[1:-1]


def structured(g: Gen, doc: Doc, loc: str, fields: list[tuple[str, Span | str]]) -> str:
    """Lay out several key/value fields as JSON, CSV, a log line, YAML or SQL."""
    layout = g.rng.choice(["json", "csv", "log", "yaml", "sql", "kv"])
    if layout == "json":
        doc.lit("{")
        for i, (k, v) in enumerate(fields):
            doc.lit(("" if i == 0 else ", ") + f'"{k}": "')
            v = json_value(v)
            doc.span(v) if isinstance(v, Span) else doc.lit(v)
            doc.lit('"')
        doc.lit("}")
    elif layout == "csv":
        doc.lit(",".join(k for k, _ in fields) + "\n")
        for i, (_, v) in enumerate(fields):
            text = v.pre + v.text + v.post if isinstance(v, Span) else v
            quote = '"' if any(c in text for c in ',"\n') else ""
            if isinstance(v, Span):
                v = Span(v.entity, v.text.replace('"', '""'), v.fmt, v.pre, v.post)
            doc.lit(("" if i == 0 else ",") + quote)
            doc.span(v) if isinstance(v, Span) else doc.lit(text.replace('"', '""'))
            doc.lit(quote)
    elif layout == "log":
        ts = g.fakers[loc].date_time_between(start_date=START, end_date=END)
        ts = ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        doc.lit(f"{ts} {g.rng.choice(['INFO', 'WARN', 'DEBUG'])} "
                f"[{g.rng.choice(['api', 'billing', 'auth', 'worker-3'])}] request handled")
        for k, v in fields:
            doc.lit(f" {k}=")
            doc.span(v) if isinstance(v, Span) else doc.lit(v)
    elif layout == "yaml":
        for k, v in fields:
            multi = isinstance(v, Span) and "\n" in v.text
            doc.lit(f"{k}: " + ("|\n" if multi else ""))
            if multi:
                v = Span(v.entity, v.text.replace("\n", "\n  "), v.fmt)
                doc.lit("  ")
            doc.span(v) if isinstance(v, Span) else doc.lit(v)
            doc.lit("\n")
    elif layout == "sql":
        doc.lit(f"INSERT INTO customers ({', '.join(k for k, _ in fields)}) VALUES (")
        for i, (_, v) in enumerate(fields):
            doc.lit(("" if i == 0 else ", ") + "'")
            doc.span(v) if isinstance(v, Span) else doc.lit(v.replace("'", "''"))
            doc.lit("'")
        doc.lit(");")
    else:
        for i, (k, v) in enumerate(fields):
            doc.lit(("" if i == 0 else " | ") + f"{k}: ")
            doc.span(v) if isinstance(v, Span) else doc.lit(v)
    return layout


def make_record(g: Gen, i: int) -> dict:
    loc = list(LOCALES)[i % len(LOCALES)]
    doc = Doc()
    r = g.rng.random()
    if r < 0.5:
        name = ENTITIES[g.rng.randrange(len(ENTITIES))]
        if name == "aws_key" and g.rng.random() < 0.4:
            aws_secret_doc(g, doc)
            layout = "config"
        elif name == "ssn" and g.rng.random() < 0.3:
            doc.lit(g.rng.choice(["SSN: ", "ssn=", "Social Security Number ", "SSN#"]))
            doc.span(g.ssn(loc, labelled=True))
            layout = "labelled"
        elif name == "private_key":
            escaped = g.rng.random() < 0.3
            sp = g.private_key(loc, escaped=escaped)
            if escaped:
                doc.lit('{"type": "service_account", "private_key": "')
                doc.span(sp)
                doc.lit('\\n", "client_email": "')
                doc.span(Span("email", g.fakers[loc].email(), "plain"))
                doc.lit('"}')
                layout = "json"
            else:
                doc.lit(g.rng.choice(["$ cat ~/.ssh/id_key\n", "key:\n", "Here is the key:\n\n"]))
                doc.span(sp)
                doc.lit(g.rng.choice(["\n", "\n$ ", ""]))
                layout = "terminal"
        else:
            render_sentence(g, doc, loc, g.entity(name, loc))
            layout = "sentence"
    elif r < 0.7:
        names = g.rng.sample([e for e in ENTITIES if e != "private_key"], g.rng.randrange(2, 5))
        fields: list = [(g.rng.choice(JSON_KEYS[n]), g.entity(n, loc)) for n in names]
        for _ in range(g.rng.randrange(0, 3)):
            kind = g.rng.choice([k for k in NEG_KINDS if k != "certificate"])
            fields.insert(g.rng.randrange(len(fields) + 1),
                          (NEG_KEYS[kind], Span(NEG, g.negative(kind, loc), kind)))
        layout = structured(g, doc, loc, fields)
    else:
        kinds = [g.rng.choice(NEG_KINDS) for _ in range(g.rng.randrange(1, 4))]
        if len(kinds) == 1 or g.rng.random() < 0.4:
            f = g.fakers[loc]
            for j, kind in enumerate(kinds):
                head, _, tail = g.rng.choice(NEG_SENTENCES).partition("{v}")
                doc.lit(("" if j == 0 else " ") + head.replace("{name}", f.name()))
                doc.span(Span(NEG, g.negative(kind, loc), kind))
                doc.lit(tail.replace("{name}", f.name()))
            layout = "sentence"
        else:
            layout = structured(g, doc, loc, [(NEG_KEYS[k], Span(NEG, g.negative(k, loc), k))
                                              for k in kinds])
    text, spans, negs = doc.render()
    return {"text": text, "spans": spans, "locale": loc, "layout": layout, "negatives": negs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="-", help="output JSONL file (default stdout)")
    ap.add_argument("--records", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    # Faker converts dates through the local time zone; pin it so every machine agrees.
    os.environ["TZ"] = "UTC"
    time.tzset()
    g = Gen(args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    counts: dict[str, int] = {}
    with out:
        for i in range(args.records):
            rec = make_record(g, i)
            for s in rec["spans"]:
                assert rec["text"][s["start"]:s["end"]], rec
                counts[s["entity"]] = counts.get(s["entity"], 0) + 1
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{args.records} records; spans per entity: "
          + ", ".join(f"{k}={counts.get(k, 0)}" for k in ENTITIES), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
