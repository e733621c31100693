"""The words mail clients write, by language: data, not code; pure.

One table per language. Each names, as the common clients write them:

* ``reply`` and ``forward``: subject prefixes, without the colon (the
  counters ``Re[2]:``, ``AW(3):`` and any letter case are the reader's job,
  in ``subject``);
* ``autoreply``: phrases an out-of-office or automatic reply starts its
  subject with (``classify``);
* ``away``: how a responder's first line says the writer is away, read
  only where the subject already looks like an answer (``classify``);
* ``wrote``: the verb of the "On <date>, <name> wrote:" line (``rules.quotes``);
* ``from_labels``/``sent_labels``: the labels of Outlook's quoted header
  block, "From:" and "Sent:" (``rules.quotes``);
* ``original``: the "-----Original Message-----" banner.

Where a form comes from is said in the comment above its table: Outlook
(desktop and on the web, Microsoft's localised strings), Gmail, Apple Mail,
Thunderbird, and the local webmails (Mail.ee and Neti in Estonia, Onet and
WP in Poland, Siol in Slovenia). Add a language by adding a table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LANGUAGES", "Language", "every"]


@dataclass(frozen=True)
class Language:
    code: str
    reply: tuple[str, ...] = ()
    forward: tuple[str, ...] = ()
    autoreply: tuple[str, ...] = ()
    away: tuple[str, ...] = ()
    wrote: tuple[str, ...] = ()
    from_labels: tuple[str, ...] = ()
    sent_labels: tuple[str, ...] = ()
    original: tuple[str, ...] = ()


# English: RFC 5322 "Re", Outlook "RE"/"FW", Gmail/Thunderbird/Apple "Fwd";
# Outlook's "Automatic reply:", Gmail's vacation responder subject, Exchange's
# "Out of Office:"; Gmail's "On … wrote:"; Outlook's From/Sent block.
ENGLISH = Language(
    "en",
    reply=("re",),
    forward=("fwd", "fw"),
    autoreply=(
        "automatic reply",
        "auto reply",
        "auto-reply",
        "autoreply",
        "auto response",
        "auto-response",
        "autoresponse",
        "automatic response",
        "out of office",
        "out of the office",
        "out-of-office",
        "ooo",
        "away from the office",
        "vacation reply",
    ),
    away=(
        "i am out of the office",
        "i'm out of the office",
        "i am currently out of the office",
        "i am on holiday",
        "i am on vacation",
        "i am on leave",
    ),
    wrote=("wrote",),
    from_labels=("from",),
    sent_labels=("sent", "date"),
    original=("original message", "forwarded message"),
)
# Estonian: Outlook "Vs:"/"Edasi:" and "Automaatvastus:", Outlook on the web
# "Vast:", Mail.ee and Neti "Vastus:"; Gmail "kirjutas"; Outlook's
# "Saatja:/Saadetud:" block and "Algne sõnum".
ESTONIAN = Language(
    "et",
    reply=("vs", "vast", "vastus"),
    forward=("edasi", "edasta", "edastatud"),
    autoreply=(
        "automaatvastus",
        "automaatne vastus",
        "automaatne kiri",
        "eemal kontorist",
        "kontorist eemal",
        "kontorist väljas",
        "puhkusel",
        "puhkuse teade",
    ),
    away=(
        "olen puhkusel",
        "olen kontorist eemal",
        "olen kontorist väljas",
        "viibin puhkusel",
    ),
    wrote=("kirjutas",),
    from_labels=("saatja", "kellelt"),
    sent_labels=("saadetud", "kuupäev"),
    original=("algne sõnum", "algne kiri", "edasisaadetud kiri", "edastatud kiri"),
)
# Finnish: Outlook "VS:"/"VL:" and "Automaattinen vastaus:"; Gmail
# "kirjoitti"; Outlook's "Lähettäjä:/Lähetetty:" and "Alkuperäinen viesti".
FINNISH = Language(
    "fi",
    reply=("vs", "vast"),
    forward=("vl",),
    autoreply=(
        "automaattinen vastaus",
        "poissa toimistolta",
        "poissaoloviesti",
        "poissaoloilmoitus",
        "lomalla",
        "lomaviesti",
    ),
    away=("olen lomalla", "olen poissa toimistolta"),
    wrote=("kirjoitti",),
    from_labels=("lähettäjä",),
    sent_labels=("lähetetty", "päivämäärä"),
    original=("alkuperäinen viesti", "välitetty viesti"),
)
# Swedish: Outlook "SV:"/"VB:" and "Automatiskt svar:", Apple Mail "Vb:";
# Gmail "skrev"; Outlook's "Från:/Skickat:".
SWEDISH = Language(
    "sv",
    reply=("sv",),
    forward=("vb", "vid"),
    autoreply=(
        "automatiskt svar",
        "frånvaro",
        "frånvaromeddelande",
        "frånvarande",
        "autosvar",
        "ej på kontoret",
        "inte på kontoret",
    ),
    away=(
        "jag är inte på kontoret",
        "jag är ledig",
        "jag är på semester",
        "jag är frånvarande",
    ),
    wrote=("skrev",),
    from_labels=("från",),
    sent_labels=("skickat", "datum"),
    original=(
        "ursprungligt meddelande",
        "originalmeddelande",
        "vidarebefordrat meddelande",
    ),
)
# Norwegian (bokmål): Outlook "SV:"/"VS:" and "Automatisk svar:"; Gmail
# "skrev"; Outlook's "Fra:/Sendt:".
NORWEGIAN = Language(
    "no",
    reply=("sv",),
    forward=("vs", "vidaresend"),
    autoreply=(
        "automatisk svar",
        "fravær",
        "fraværsmelding",
        "ikke på kontoret",
        "ikke til stede",
        "autosvar",
    ),
    away=("jeg er ikke på kontoret", "jeg er på ferie"),
    wrote=("skrev",),
    from_labels=("fra",),
    sent_labels=("sendt", "dato"),
    original=("opprinnelig melding", "videresendt melding"),
)
# Danish: Outlook "SV:"/"VS:" and "Automatisk svar:"; Gmail "skrev";
# Outlook's "Fra:/Sendt:".
DANISH = Language(
    "da",
    reply=("sv",),
    forward=("vs", "vid"),
    autoreply=(
        "automatisk svar",
        "fraværende",
        "fraværsbesked",
        "ikke på kontoret",
        "autosvar",
        "ikke til stede",
    ),
    away=("jeg er ikke på kontoret", "jeg er på ferie", "jeg er fraværende"),
    wrote=("skrev",),
    from_labels=("fra",),
    sent_labels=("sendt", "dato"),
    original=("oprindelig meddelelse", "videresendt meddelelse"),
)
# Icelandic: Outlook "SV:"/"FS:" and "Sjálfvirkt svar:"; Gmail "skrifaði";
# Outlook's "Frá:/Sent:".
ICELANDIC = Language(
    "is",
    reply=("sv", "svar"),
    forward=("fs", "áfram"),
    autoreply=("sjálfvirkt svar", "fjarverandi", "ekki við"),
    away=("ég er í fríi", "ég er fjarverandi", "ég er ekki við"),
    wrote=("skrifaði",),
    from_labels=("frá",),
    sent_labels=("sent", "dagsetning"),
    original=("upprunaleg skilaboð", "áframsend skilaboð"),
)
# German: Outlook "AW:"/"WG:" and "Automatische Antwort:", Exchange
# "Abwesenheitsnotiz:", GMX/Web.de "Antwort:"/"Wtr:"; Gmail "schrieb";
# Outlook's "Von:/Gesendet:" and "Ursprüngliche Nachricht".
GERMAN = Language(
    "de",
    reply=("aw", "antw", "antwort"),
    forward=("wg", "wtr", "wtrlt", "weitergeleitet"),
    autoreply=(
        "abwesenheitsnotiz",
        "automatische antwort",
        "abwesend",
        "abwesenheit",
        "außer haus",
        "ausser haus",
        "nicht im büro",
        "nicht im hause",
    ),
    away=(
        "ich bin nicht im büro",
        "ich bin abwesend",
        "ich bin im urlaub",
        "vielen dank für ihre nachricht. ich bin",
    ),
    wrote=("schrieb",),
    from_labels=("von",),
    sent_labels=("gesendet", "datum"),
    original=("ursprüngliche nachricht", "weitergeleitete nachricht"),
)
# Dutch: Outlook "Antw:"/"Doorst:" and "Automatisch antwoord:"; Gmail
# "schreef"; Outlook's "Van:/Verzonden:".
DUTCH = Language(
    "nl",
    reply=("antw", "antwoord"),
    forward=("doorst", "fw"),
    autoreply=(
        "automatisch antwoord",
        "afwezig",
        "niet aanwezig",
        "buiten kantoor",
        "afwezigheidsbericht",
    ),
    away=("ik ben afwezig", "ik ben niet op kantoor", "ik ben met vakantie"),
    wrote=("schreef",),
    from_labels=("van",),
    sent_labels=("verzonden", "datum"),
    original=("oorspronkelijk bericht", "origineel bericht", "doorgestuurd bericht"),
)
# Polish: Outlook "Odp:"/"PD:" and "Odpowiedź automatyczna:", Onet and WP
# "Odp:"/"Fwd:", Gmail "Automatyczna odpowiedź"; Gmail "napisał(a)";
# Outlook's "Od:/Wysłano:" and "Oryginalna wiadomość".
POLISH = Language(
    "pl",
    reply=("odp", "odpowiedź"),
    forward=("pd", "prześlij dalej", "przekaż"),
    autoreply=(
        "odpowiedź automatyczna",
        "automatyczna odpowiedź",
        "autoodpowiedź",
        "nieobecność",
        "poza biurem",
    ),
    away=(
        "jestem poza biurem",
        "jestem na urlopie",
        "jestem nieobecny",
        "jestem nieobecna",
    ),
    wrote=("napisał(a)", "napisał", "napisała"),
    from_labels=("od",),
    sent_labels=("wysłano", "data"),
    original=(
        "oryginalna wiadomość",
        "wiadomość oryginalna",
        "przekazana wiadomość",
        "wiadomość przekazana dalej",
    ),
)
# Slovenian: Outlook "Odg:"/"Posr:" and "Samodejni odgovor:", Siol webmail
# "Re:"/"Fw:"; Gmail "je napisal(a)"; Outlook's "Od:/Poslano:" and
# "Izvirno sporočilo"/"Originalno sporočilo".
SLOVENIAN = Language(
    "sl",
    reply=("odg", "odgovor"),
    forward=("posr", "posredovano"),
    autoreply=(
        "samodejni odgovor",
        "samodejno sporočilo",
        "odsoten",
        "odsotna",
        "odsotnost",
        "izven pisarne",
    ),
    away=("sem odsoten", "sem odsotna", "sem na dopustu", "nisem v pisarni"),
    wrote=(
        "je napisal(a)",
        "je napisal",
        "je napisala",
        "napisal(a)",
        "napisal",
        "napisala",
    ),
    from_labels=("od",),
    sent_labels=("poslano", "datum"),
    original=("izvirno sporočilo", "originalno sporočilo", "posredovano sporočilo"),
)
# Croatian: Outlook "Odg:"/"Prosl:" and "Automatski odgovor:"; Gmail
# "je napisao/la"; Outlook's "Šalje:/Poslano:" (older "Od:").
CROATIAN = Language(
    "hr",
    reply=("odg", "odgovor"),
    forward=("prosl", "proslijeđeno"),
    autoreply=(
        "automatski odgovor",
        "odsutan",
        "odsutna",
        "odsutnost",
        "izvan ureda",
        "godišnji odmor",
    ),
    away=("odsutan sam", "odsutna sam", "nisam u uredu", "na godišnjem sam"),
    wrote=("je napisao/la", "je napisao", "je napisala", "napisao", "napisala"),
    from_labels=("šalje", "od"),
    sent_labels=("poslano", "datum"),
    original=("izvorna poruka", "originalna poruka", "proslijeđena poruka"),
)
# Serbian, Latin and Cyrillic: Outlook "Odg:"/"Prosl:", "Одг:"/"Просл:" and
# "Automatski odgovor:"/"Аутоматски одговор:"; Gmail "je napisao"/"је
# написао"; Outlook's "Od:/Poslato:", "Од:/Послато:".
SERBIAN = Language(
    "sr",
    reply=("odg", "одг", "odgovor", "одговор"),
    forward=("prosl", "просл"),
    autoreply=(
        "automatski odgovor",
        "аутоматски одговор",
        "odsutan",
        "одсутан",
        "van kancelarije",
        "ван канцеларије",
    ),
    away=("odsutan sam", "одсутан сам", "nisam u kancelariji", "нисам у канцеларији"),
    wrote=("je napisao", "је написао", "je napisala", "је написала"),
    from_labels=("od", "од", "šalje", "шаље"),
    sent_labels=("poslato", "послато", "poslano"),
    original=(
        "originalna poruka",
        "оригинална порука",
        "prosleđena poruka",
        "прослеђена порука",
    ),
)
# Czech: Outlook "Odp:"/"PŘ:" and "Automatická odpověď:", Seznam "Re:"/"Fwd:";
# Gmail "napsal(a)"; Outlook's "Od:/Odesláno:" and "Původní zpráva".
CZECH = Language(
    "cs",
    reply=("odp", "odpověď"),
    forward=("př", "fw"),
    autoreply=("automatická odpověď", "nepřítomnost", "mimo kancelář"),
    away=("jsem mimo kancelář", "jsem na dovolené", "nejsem v kanceláři"),
    wrote=("napsal(a)", "napsal", "napsala"),
    from_labels=("od",),
    sent_labels=("odesláno", "datum"),
    original=("původní zpráva", "přeposlaná zpráva"),
)
# Slovak: Outlook "Odp:"/"PD:" and "Automatická odpoveď:"; Gmail
# "napísal(a)"; Outlook's "Od:/Odoslané:" and "Pôvodná správa".
SLOVAK = Language(
    "sk",
    reply=("odp", "odpoveď"),
    forward=("pd", "preposlať"),
    autoreply=("automatická odpoveď", "neprítomnosť", "mimo kancelárie"),
    away=("som mimo kancelárie", "som na dovolenke", "nie som v kancelárii"),
    wrote=("napísal(a)", "napísal", "napísala"),
    from_labels=("od",),
    sent_labels=("odoslané", "dátum"),
    original=("pôvodná správa", "preposlaná správa"),
)
# Hungarian: Outlook "Vá:"/"Továbbítás:" and "Automatikus válasz:", Freemail
# "Válasz:"/"Tov:"; Gmail "írta"; Outlook's "Feladó:/Elküldve:".
HUNGARIAN = Language(
    "hu",
    reply=("vá", "válasz"),
    forward=("továbbítás", "tov", "fw"),
    autoreply=(
        "automatikus válasz",
        "házon kívül",
        "irodán kívül",
    ),
    away=("házon kívül vagyok", "szabadságon vagyok", "nem vagyok az irodában"),
    wrote=("írta",),
    from_labels=("feladó",),
    sent_labels=("elküldve", "küldve", "dátum"),
    original=("eredeti üzenet", "továbbított üzenet"),
)
# Latvian: Outlook "Atb:"/"Pārs:" and "Automātiskā atbilde:"; Gmail
# "rakstīja"; Outlook's "No:/Nosūtīts:".
LATVIAN = Language(
    "lv",
    reply=("atb", "atbilde"),
    forward=("pārs", "pārsūtīts"),
    autoreply=("automātiskā atbilde", "prombūtne", "ārpus biroja", "atvaļinājumā"),
    away=("esmu atvaļinājumā", "esmu ārpus biroja", "neesmu birojā"),
    wrote=("rakstīja",),
    from_labels=("no",),
    sent_labels=("nosūtīts", "datums"),
    original=("sākotnējais ziņojums", "pārsūtītais ziņojums"),
)
# Lithuanian: Outlook "ATS:"/"PRSL:" and "Automatinis atsakymas:"; Gmail
# "rašė"; Outlook's "Nuo:/Išsiųsta:".
LITHUANIAN = Language(
    "lt",
    reply=("ats", "atsakymas"),
    forward=("prsl", "pers", "persiųsta"),
    autoreply=(
        "automatinis atsakymas",
        "ne biure",
        "nesu biure",
    ),
    away=("šiuo metu nesu biure", "esu atostogose", "atostogauju", "nesu biure"),
    wrote=("rašė", "parašė"),
    from_labels=("nuo", "siuntėjas"),
    sent_labels=("išsiųsta", "data"),
    original=("pradinis laiškas", "originalus laiškas", "persiųstas laiškas"),
)
# Russian: Outlook "RE:"/"Ответ:"/"FW:", Mail.ru and Yandex "Re:"/"Fwd:",
# Outlook "Автоматический ответ:"; Gmail "написал(а)"; Outlook's
# "От:/Отправлено:" and "Исходное сообщение".
RUSSIAN = Language(
    "ru",
    reply=("ответ", "отв"),
    forward=("пересл", "переслать", "пересылка"),
    autoreply=(
        "автоматический ответ",
        "автоответ",
        "нет на месте",
        "вне офиса",
    ),
    away=(
        "я в отпуске",
        "меня нет в офисе",
        "я нахожусь в отпуске",
        "в настоящее время меня нет",
    ),
    wrote=("написал(а)", "написал", "написала", "пишет"),
    from_labels=("от",),
    sent_labels=("отправлено", "дата"),
    original=(
        "исходное сообщение",
        "пересылаемое сообщение",
        "пересланное сообщение",
        "оригинальное сообщение",
    ),
)
# Ukrainian: Outlook "Відп:"/"Пересл:" and "Автоматична відповідь:", Ukr.net
# "Re:"/"Fwd:"; Gmail "написав(-ла)"; Outlook's "Від:/Надіслано:".
UKRAINIAN = Language(
    "uk",
    reply=("відп", "відповідь"),
    forward=("пересл", "переслано"),
    autoreply=(
        "автоматична відповідь",
        "автовідповідь",
        "поза офісом",
        "немає на місці",
    ),
    away=("я у відпустці", "мене немає в офісі", "я поза офісом"),
    wrote=("написав(-ла)", "написав(ла)", "написав", "написала", "пише"),
    from_labels=("від",),
    sent_labels=("надіслано", "дата"),
    original=(
        "оригінальне повідомлення",
        "початкове повідомлення",
        "переслане повідомлення",
    ),
)
# French: Outlook "RE:"/"TR:" and "Réponse automatique :", Orange "Réf:";
# Gmail "a écrit"; Outlook's "De :/Envoyé :" (space before the colon).
FRENCH = Language(
    "fr",
    reply=("re", "réf", "rép"),
    forward=("tr", "trans", "fwd"),
    autoreply=(
        "réponse automatique",
        "absence du bureau",
        "absent du bureau",
        "absente du bureau",
        "message d'absence",
    ),
    away=(
        "je suis absent",
        "je suis absente",
        "je suis en congé",
        "je suis actuellement absent",
    ),
    wrote=("a écrit",),
    from_labels=("de",),
    sent_labels=("envoyé", "date"),
    original=("message d'origine", "message original", "message transféré"),
)
# Spanish: Outlook "RE:"/"RV:" and "Respuesta automática:", Gmail "Rv:";
# Gmail "escribió"; Outlook's "De:/Enviado:".
SPANISH = Language(
    "es",
    reply=("re", "resp"),
    forward=("rv", "reenv", "fwd"),
    autoreply=(
        "respuesta automática",
        "fuera de la oficina",
        "fuera de oficina",
    ),
    away=("estoy fuera de la oficina", "estoy de vacaciones", "me encuentro fuera"),
    wrote=("escribió",),
    from_labels=("de",),
    sent_labels=("enviado", "fecha"),
    original=("mensaje original", "mensaje reenviado"),
)
# Portuguese: Outlook "RES:"/"ENC:" (Brazil), "RE:"/"RE:"/"FW:" (Portugal) and
# "Resposta automática:"; Gmail "escreveu"; Outlook's "De:/Enviado:".
PORTUGUESE = Language(
    "pt",
    reply=("res", "resp"),
    forward=("enc", "encaminhada", "reenc"),
    autoreply=(
        "resposta automática",
        "fora do escritório",
    ),
    away=("estou fora do escritório", "estou de férias", "estou ausente"),
    wrote=("escreveu",),
    from_labels=("de",),
    sent_labels=("enviado", "enviada", "data"),
    original=("mensagem original", "mensagem encaminhada"),
)
# Italian: Outlook "R:"/"I:" and "Risposta automatica:", Libero "Rif:";
# Gmail "ha scritto"; Outlook's "Da:/Inviato:".
ITALIAN = Language(
    "it",
    reply=("r", "rif", "ris"),
    forward=("i", "inoltro", "fwd"),
    autoreply=(
        "risposta automatica",
        "fuori ufficio",
        "fuori sede",
    ),
    away=("sono fuori ufficio", "sono in ferie", "sono assente"),
    wrote=("ha scritto",),
    from_labels=("da",),
    sent_labels=("inviato", "data"),
    original=("messaggio originale", "messaggio inoltrato"),
)
# Greek: Outlook "ΑΠ:"/"ΠΡΘ:" and "Αυτόματη απάντηση:", older "ΣΧΕΤ:";
# Gmail "έγραψε"; Outlook's "Από:/Στάλθηκε:".
GREEK = Language(
    "el",
    reply=("απ", "σχετ"),
    forward=("πρθ", "προώθηση"),
    autoreply=("αυτόματη απάντηση", "εκτός γραφείου"),
    away=("είμαι εκτός γραφείου", "βρίσκομαι σε άδεια"),
    wrote=("έγραψε",),
    from_labels=("από",),
    sent_labels=("στάλθηκε", "ημερομηνία"),
    original=("αρχικό μήνυμα", "προωθημένο μήνυμα"),
)
# Turkish: Outlook "YNT:"/"İLT:" and "Otomatik yanıt:", Gmail "Cvp:"; Gmail
# "yazdı"; Outlook's "Kimden:/Gönderildi:".
TURKISH = Language(
    "tr",
    reply=("ynt", "cvp", "yanıt"),
    forward=("ilt", "İlt", "ilet"),
    autoreply=(
        "otomatik yanıt",
        "otomatik cevap",
        "ofis dışında",
        "ofiste değilim",
    ),
    away=("ofis dışındayım", "izindeyim", "şu anda ofiste değilim"),
    wrote=("yazdı",),
    from_labels=("kimden",),
    sent_labels=("gönderildi", "gönderilen", "tarih"),
    original=("özgün ileti", "orijinal mesaj", "iletilen ileti"),
)
# Chinese and Japanese: Outlook and Foxmail "回复:"/"转发:", "答复:",
# Taiwanese "回覆:"/"轉寄:", Japanese clients mostly write "Re:"/"Fw:".
CHINESE = Language(
    "zh",
    reply=("回复", "回覆", "答复"),
    forward=("转发", "轉寄", "转寄", "轉發"),
    autoreply=("自动回复", "自動回覆"),
)

LANGUAGES: tuple[Language, ...] = (
    ENGLISH, ESTONIAN, FINNISH, SWEDISH, NORWEGIAN, DANISH, ICELANDIC, GERMAN,
    DUTCH, POLISH, SLOVENIAN, CROATIAN, SERBIAN, CZECH, SLOVAK, HUNGARIAN,
    LATVIAN, LITHUANIAN, RUSSIAN, UKRAINIAN, FRENCH, SPANISH, PORTUGUESE,
    ITALIAN, GREEK, TURKISH, CHINESE,
)  # fmt: skip


def every(field: str) -> tuple[str, ...]:
    """One field of every table, without repeats, longest first (so that a
    regex alternation tries "antwort" before "antw")."""
    seen = {form: None for lang in LANGUAGES for form in getattr(lang, field)}
    return tuple(sorted(seen, key=len, reverse=True))
