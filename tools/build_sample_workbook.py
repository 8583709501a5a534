"""Build pricing/london.xlsx, the sample clinic's price list (the committed file is the source of
truth for docgen; this script documents how it was made and rebuilds it after a deliberate change).

    python tools/build_sample_workbook.py [OUTPUT]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

HEADER_FILL = PatternFill("solid", fgColor="1F5F5B")
HEADER_FONT = Font(bold=True, color="FFFFFF")

CLINIC = [
    ("Name", "Lumière Aesthetic Clinic", "Printed at the top of every document"),
    ("Address", "12 Wimpole Street, London W1G 9SX, United Kingdom", ""),
    ("Phone", "+44 20 7946 0321", ""),
    ("Email", "hello@lumiere-clinic.example", ""),
    ("Registration", "CQC provider 1-2345678901", "Regulator and registration number"),
    ("Currency", "GBP", "ISO 4217 code: GBP, EUR, USD, CHF ..."),
    ("Locale", "en_GB", "The clinic's own language and region"),
    ("VAT cosmetic", 20, "VAT % on cosmetic treatments"),
    ("VAT therapeutic", 0, "VAT % on therapeutic treatments (usually exempt)"),
    ("Prices include VAT", "yes", "yes: the prices below already include VAT"),
    ("Quote validity days", 30, "How long an estimate stays valid"),
    ("Deposit", 20, "% of the estimate's total due when booking"),
    ("Consultation fee", 50, "Initial consultation, per visit"),
    ("Effective date", dt.date(2026, 1, 5), "Date this price list applies from"),
    ("Version", "2026.1", "Printed on every document for traceability"),
    (
        "Complications phone",
        "+44 20 7946 0999",
        "Printed on every consent form: whom a patient calls about a complication, day or night",
    ),
    ("Reflection days cosmetic", 7, "Days between the information and a cosmetic treatment"),
    ("Reflection days therapeutic", 0, "Days between the information and a therapeutic one"),
    (
        "Minimum age cosmetic",
        18,
        "No cosmetic treatment below this age, whatever a parent agrees (English law)",
    ),
    (
        "Minimum age law",
        "Botulinum Toxin and Cosmetic Fillers (Children) Act 2021",
        "The law that sets it: named when a treatment is refused",
    ),
    (
        "Own consent age",
        16,
        "From this age a minor consents for themself (Family Law Reform Act 1969, s. 8)",
    ),
    ("Data controller", "Lumière Aesthetic Clinic Ltd", "Who keeps patients' records (UK GDPR)"),
    ("Privacy contact", "privacy@lumiere-clinic.example", "Whom patients ask about their data"),
    (
        "Data protection authority",
        "Information Commissioner's Office (ico.org.uk)",
        "Where patients may complain",
    ),
    ("Records retention years", 8, "Years records are kept after the last treatment"),
    ("Photographs retention years", 8, "Years photographs are kept after the last treatment"),
    (
        "Payment terms",
        "The deposit is refunded in full if you cancel at least 48 hours before your first "
        "session, and kept if you cancel later. If you stop treatment, sessions paid for but "
        "not given are refunded; a course is refunded less the sessions given, each at the "
        "single-session price.",
        "Deposit, cancellation and refunds: printed on every estimate and consent form",
    ),
]

TREATMENT_HEADERS = [
    "Code", "Name", "Description", "Kind", "Sessions min", "Sessions max", "Interval days",
    "Ingredients", "Alternatives", "Risks", "Contraindications", "Minimum age",
    "Alternatives for minors", "Evidence", "Products",
]  # fmt: skip
# What each treatment may inject, from the Products sheet (the sample's names are fictional).
PRODUCTS_OF = {
    "REJUV": "HYAL, VITA",
    "HAIR": "VITA, MINOX",
    "CELL": "CELLU",
    "LIPO": "DCA, PPC",
    "PIGM": "TXA, VITA",
    "ACNE": "HYAL, VITA",
    "TIGHT": "HYAL",
    "STRIA": "HYAL, VITA",
    "PAINR": "CALC",
}
# (code, name, manufacturer, licensing for the use the sample's treatments make of it)
PRODUCTS = [
    ("HYAL", "Hydra-Meso HA", "Example MedTech Ltd", "medical device"),
    ("VITA", "Vita-Meso Complex", "Example Pharma Ltd", "unlicensed"),
    ("MINOX", "Minoxi-Meso", "Example Pharma Ltd", "off-label"),
    ("CELLU", "Cellu-Meso", "Example Pharma Ltd", "unlicensed"),
    ("DCA", "Lipo-DC", "Example Pharma Ltd", "off-label"),
    ("PPC", "Lipo-PC", "Example Pharma Ltd", "unlicensed"),
    ("TXA", "Tranex-Meso", "Example Pharma Ltd", "off-label"),
    ("CALC", "Calci-Meso", "Example Pharma Ltd", "off-label"),
]  # fmt: skip
# Treatments a minor may have: the youngest age, and the alternatives the law allows them.
FOR_MINORS = {
    "PAINR": (12, "Rest, physiotherapy, pain-relief tablets or, for some conditions, surgery."),
}
# What the evidence shows and how long results last (required for cosmetic treatments).
EVIDENCE = {
    "REJUV": (
        "Small studies suggest that it can improve skin hydration and fine lines for a few "
        "months; good-quality trials are few. Results usually last 3 to 6 months, and maintenance"
        " sessions are needed to keep them."
    ),
    "HAIR": (
        "Some small studies report less hair shedding and slightly denser hair, but the evidence "
        "is limited and weaker than for minoxidil or finasteride. Any effect fades within months "
        "of stopping; maintenance sessions are needed."
    ),
    "CELL": (
        "The evidence is weak: small studies show at best a modest, temporary smoothing of "
        "cellulite. Any improvement usually fades within a few months."
    ),
    "LIPO": (
        "Injections of deoxycholate can reduce small fat deposits, such as under the chin; for "
        "other areas and for phosphatidylcholine mixtures the evidence is limited. The fat cells "
        "destroyed do not come back, but weight gain can enlarge those that remain."
    ),
    "PIGM": (
        "Small studies of tranexamic acid injections report lighter dark patches (melasma) in "
        "many patients; the evidence is limited. Pigmentation often returns, especially with sun "
        "exposure; maintenance sessions and sun protection are needed."
    ),
    "ACNE": (
        "Small studies report a modest softening of acne scars; deep scars respond less. The "
        "evidence is limited. An improvement can last a year or more, as new collagen forms "
        "slowly."
    ),
    "TIGHT": (
        "The evidence is weak: small studies show at best a mild, temporary firming. Results, if "
        "any, usually last a few months, and it does not replace surgery for marked sagging."
    ),
    "STRIA": (
        "Small studies report that stretch marks can become less visible, but they do not "
        "disappear. The evidence is limited. Any improvement is slow and partial; older, white "
        "stretch marks respond less."
    ),
    "PAINR": (
        "Some studies support mesotherapy for short-term relief of pain in certain conditions, "
        "such as back pain and tendinitis; results vary, and relief may last from weeks to "
        "months."
    ),
}
COMMON_RISKS = (
    "PAIN, SENS, SWELL, REDN, BRUISE, BUMPS, ITCH, RASH, INFECT, DARK, SCAR, "
    "NECROSIS, MYCOBACT, GRANULOMA, LIPOATROPHY, ANAPHYLAXIS"
)
TREATMENTS = [
    ("REJUV", "Skin rejuvenation",
     "Micro-injections that hydrate the skin, soften fine lines and wrinkles and restore glow.",
     "cosmetic", 3, 6, 14,
     "Non-cross-linked hyaluronic acid, vitamins (A, C, E, B complex), minerals and amino acids",
     "Skin-care products with retinoids or vitamin C, chemical peels, microneedling, dermal "
     "fillers or laser resurfacing.",
     COMMON_RISKS, 'HERPES'),
    ("HAIR", "Hair loss",
     "Injections into the scalp that nourish hair follicles and slow hair loss (alopecia).",
     "cosmetic", 4, 10, 14,
     "Vitamins, amino acids and peptides; minoxidil where prescribed",
     "Minoxidil lotion or tablets prescribed by a doctor, platelet-rich plasma (PRP) "
     "injections, low-level laser therapy or hair transplant surgery.",
     COMMON_RISKS, 'CANCER, SCALP'),
    ("CELL", "Cellulite",
     "Injections that improve microcirculation and smooth the dimpled look of cellulite.",
     "cosmetic", 6, 12, 7,
     "Plant extracts (caffeine, artichoke, centella asiatica), organic silicon and enzymes",
     "Regular exercise and weight management, massage and lymphatic drainage, radiofrequency "
     "or shock-wave treatments.",
     COMMON_RISKS, 'DIABETES, VEINS'),
    ("LIPO", "Localised fat reduction",
     "Injections that break down small, stubborn fat deposits (injection lipolysis).",
     "cosmetic", 2, 6, 28,
     "Phosphatidylcholine (lecithin) and deoxycholate, sometimes with isoproterenol",
     'Diet and exercise, cryolipolysis (fat freezing) or liposuction.',
     COMMON_RISKS + ", NAUSEA, NUMB, HARD, NODULES", 'DIABETES, LIVER, HEART, CANCER'),
    ("PIGM", "Pigmentation",
     "Injections that even out skin tone: sun spots, dark circles and melasma.",
     "cosmetic", 4, 8, 14,
     "Tranexamic acid, vitamin C and glutathione",
     "Sun protection, prescription lightening creams, chemical peels or laser treatment.",
     COMMON_RISKS, 'HERPES, PHOTO'),
    ("ACNE", "Acne scars",
     "Injections that stimulate collagen to soften acne scars and minor scars.",
     "cosmetic", 3, 6, 21,
     "Hyaluronic acid, vitamins and amino acids",
     'Microneedling, chemical peels, laser resurfacing or dermal fillers.',
     COMMON_RISKS, 'HERPES, ISOTRET'),
    ("TIGHT", "Skin tightening",
     "Injections that firm and tone mildly sagging skin.",
     "cosmetic", 3, 6, 21,
     "Hyaluronic acid, DMAE, organic silicon and amino acids",
     'Radiofrequency or ultrasound skin tightening, thread lifts or surgery.',
     COMMON_RISKS, 'HERPES'),
    ("STRIA", "Stretch marks",
     "Injections that improve the texture and colour of stretch marks.",
     "cosmetic", 4, 8, 14,
     "Hyaluronic acid, vitamins, amino acids and plant extracts",
     'Prescription retinoid creams, microneedling or laser treatment.',
     COMMON_RISKS, ''),
    ("PAINR", "Pain relief",
     "Injections that relieve pain from sports injuries, tendinitis, osteoarthritis "
     "and carpal tunnel syndrome.",
     "therapeutic", 3, 10, 7,
     "Low-dose anti-inflammatories, vasodilators and calcitonin, as prescribed",
     "Rest, physiotherapy, pain-relief tablets, steroid injections or, for some conditions, "
     "surgery.",
     "PAIN, SENS, SWELL, REDN, BRUISE, INFECT, RASH, NAUSEA", 'STEROID, BLEED'),
]  # fmt: skip

AREAS = [
    ("FACE", "Face"), ("NECK", "Neck"), ("DECO", "Décolleté"), ("HANDS", "Hands"),
    ("SCALP", "Scalp"), ("EYES", "Under-eye area"), ("ABDO", "Abdomen"), ("FLANKS", "Flanks"),
    ("THIGHS", "Thighs"), ("BUTT", "Buttocks"), ("ARMS", "Upper arms"), ("KNEES", "Knees"),
    ("BACK", "Back"), ("SHOULDER", "Shoulder"), ("WRIST", "Wrist and hand"),
]  # fmt: skip

PRICE_HEADERS = [
    "Treatment", "Area", "Price per session", "Course sessions", "Course price",
    "Course discount %",
]  # fmt: skip
# (treatment, area, price per session, course sessions, course price, course discount %)
PRICES = [
    ("REJUV", "FACE", 250, 6, 1250, None), ("REJUV", "NECK", 180, 6, None, 15),
    ("REJUV", "DECO", 200, 6, None, 15), ("REJUV", "HANDS", 150, 6, None, 10),
    ("REJUV", "EYES", 162.50, 4, None, 10),
    ("HAIR", "SCALP", 300, 6, 1530, None),
    ("CELL", "ABDO", 220, 8, None, 15), ("CELL", "THIGHS", 260, 8, None, 15),
    ("CELL", "BUTT", 240, 8, None, 15), ("CELL", "ARMS", 200, 8, None, 15),
    ("CELL", "FLANKS", 220, 8, None, 15), ("CELL", "KNEES", 180, 8, None, 10),
    ("LIPO", "ABDO", 450, 3, 1200, None), ("LIPO", "FLANKS", 400, 3, 1080, None),
    ("LIPO", "THIGHS", 500, 3, 1350, None), ("LIPO", "ARMS", 350, 3, None, 10),
    ("LIPO", "BACK", 380, 3, None, 10), ("LIPO", "NECK", 280, 3, None, 10),
    ("LIPO", "KNEES", 300, 3, None, 10),
    ("PIGM", "FACE", 230, 6, None, 15), ("PIGM", "HANDS", 160, 6, None, 10),
    ("PIGM", "DECO", 190, 6, None, 10), ("PIGM", "EYES", 170, 6, None, 10),
    ("ACNE", "FACE", 260, 4, None, 12.5), ("ACNE", "BACK", 300, 4, None, 12.5),
    ("TIGHT", "FACE", 280, 6, None, 15), ("TIGHT", "NECK", 220, 6, None, 15),
    ("TIGHT", "ABDO", 260, 6, None, 15), ("TIGHT", "ARMS", 230, 6, None, 15),
    ("TIGHT", "KNEES", 200, None, None, None),
    ("STRIA", "ABDO", 240, 6, None, 15), ("STRIA", "THIGHS", 240, 6, None, 15),
    ("STRIA", "BUTT", 240, 6, None, 15),
    ("PAINR", "KNEES", 120, 5, None, 10), ("PAINR", "BACK", 130, 5, None, 10),
    ("PAINR", "SHOULDER", 120, 5, None, 10), ("PAINR", "WRIST", 110, 5, None, 10),
]  # fmt: skip

RISKS = [
    ("PAIN", "Pain at the injection sites",
     "A stinging or aching feeling during and shortly after the injections; it usually fades "
     "within a few hours.", "very common"),
    ("SENS", "Tenderness and sensitivity",
     "The treated skin may feel tender or sensitive to touch for one to three days.",
     "very common"),
    ("SWELL", "Swelling",
     "Mild swelling around the injection sites, usually gone within 24 to 48 hours. Some patients "
     "take a day off work.", "very common"),
    ("REDN", "Redness",
     "The skin may look red or flushed for a few hours to a day.", "very common"),
    ("BRUISE", "Bruising",
     "Small bruises where the needle passed a tiny blood vessel; they fade within a week or two.",
     "common"),
    ("BUMPS", "Bumps at the injection sites",
     "Small raised bumps that can be felt or seen under the skin; they usually settle within a "
     "few days.", "common"),
    ("ITCH", "Itching",
     "Mild itching of the treated area while the skin heals.", "common"),
    ("NAUSEA", "Nausea",
     "A short-lived feeling of sickness, more likely after larger treatments such as fat "
     "reduction.", "uncommon"),
    ("RASH", "Rash or allergic reaction",
     "A rash, hives or, very rarely, a more serious allergic reaction to an injected substance. "
     "Tell us at once about any breathing difficulty or spreading rash.", "uncommon"),
    ("DARK", "Dark patches of skin",
     "Darker patches (hyperpigmentation) at the injection sites, which can take months to fade.",
     "uncommon"),
    ("INFECT", "Infection",
     "Bacterial infection at an injection site, which may need antibiotics. Contact us if the "
     "area becomes hot, painful or swollen after two days.", "rare"),
    ("SCAR", "Scarring",
     "Small permanent scars or changes to the skin's texture, more likely in people who form "
     "keloid scars.", "rare"),
    # Serious risks (Montgomery: material however rare), each with where it is reported, for
    # the clinic's own review of its bands against current literature.
    # what injection lipolysis adds to the common effects
    ("NUMB", "Numbness",
     "Reduced feeling in the treated skin, which usually returns within a few weeks.",
     "common", "mild",
     "Trials of deoxycholic acid for submental fat (e.g. the REFINE trials, 2016)"),
    ("HARD", "Hardening",
     "Firm areas under the skin where the fat was broken down; they usually soften within a few "
     "weeks.",
     "common", "mild",
     "Trials of deoxycholic acid for submental fat (e.g. the REFINE trials, 2016)"),
    ("NODULES", "Lumps (nodules)",
     "Small, firm lumps under the skin that may last for weeks and occasionally need treatment.",
     "uncommon", "mild",
     "Reviews of injection lipolysis with phosphatidylcholine and deoxycholate"),
    ("NECROSIS", "Skin necrosis",
     "Death of a small area of skin when an injection blocks or damages a small blood vessel. "
     "It needs urgent treatment and can leave a scar. Call the clinic at once if the skin turns "
     "white, grey or dark, or if the pain grows after the injections.", "rare", "serious",
     "Reviews of mesotherapy complications (e.g. Rotunda and Kolodney, Dermatologic Surgery, "
     "2006); case reports of necrosis after injection into a vessel"),
    ("MYCOBACT", "Infection with atypical mycobacteria",
     "A slow-growing infection, usually from contaminated products or equipment, that appears "
     "weeks after treatment as painful red lumps or abscesses and needs months of "
     "antibiotics.", "rare", "serious",
     "Outbreaks of Mycobacterium chelonae, fortuitum and abscessus infection after mesotherapy "
     "reported in Europe and South America (infectious disease literature, 2000s-2010s)"),
    ("GRANULOMA", "Granulomas",
     "Firm lumps under the skin, the body's reaction to an injected substance, which may appear "
     "months later and need treatment.", "rare", "serious",
     "Case reports and reviews of foreign-body granulomas after mesotherapy"),
    ("LIPOATROPHY", "Lipoatrophy",
     "Loss of the fat under the skin at the injection sites, leaving a dent that may be "
     "permanent.", "rare", "serious",
     "Case reports of localised lipoatrophy after mesotherapy and injection lipolysis"),
    ("ANAPHYLAXIS", "Anaphylaxis",
     "A severe, life-threatening allergic reaction within minutes: swelling of the face or "
     "throat, difficulty breathing, faintness. The clinic is equipped to treat it at once.",
     "very rare", "serious",
     "Allergy to injected substances (e.g. lecithin, plant extracts, local anaesthetics) in "
     "reviews of mesotherapy complications"),
]  # fmt: skip


# (code, question on the form, asked on every form?)
CONTRAINDICATIONS = [
    ("PREG", "I am pregnant or trying to become pregnant", "yes"),
    ("BREAST", "I am breastfeeding", "yes"),
    ("ANTICOAG", "I take blood thinners (anticoagulants, aspirin) or bruise easily", "yes"),
    ("ALLERGY", "I have allergies to medicines, local anaesthetics, latex or any ingredient",
     "yes"),
    ("AUTOIMM", "I have an autoimmune disease (for example lupus or rheumatoid arthritis)",
     "yes"),
    ("SKININF", "I have an active skin infection, cold sore or inflamed acne in the area",
     "yes"),
    ("KELOID", "I tend to form keloid or raised scars", "yes"),
    ("HERPES", "I have had cold sores (herpes) on the face", "no"),
    ("CANCER", "I have had cancer or cancer treatment in the past five years", "no"),
    ("SCALP", "My hair loss has not yet been examined by a doctor", "no"),
    ("DIABETES", "I have diabetes", "no"),
    ("VEINS", "I have varicose veins, phlebitis or have had a blood clot", "no"),
    ("LIVER", "I have liver or kidney disease", "no"),
    ("HEART", "I have heart disease, high blood pressure or a pacemaker", "no"),
    ("PHOTO", "I take medicines that make the skin sensitive to light", "no"),
    ("ISOTRET", "I have taken isotretinoin (Roaccutane) in the past six months", "no"),
    ("STEROID", "I have had a steroid injection at the same site in the past three months",
     "no"),
    ("BLEED", "I have a bleeding or clotting disorder", "no"),
]  # fmt: skip


# Who treats and takes consent: the form prints profession and registration under the name.
PRACTITIONERS = [
    ("Dr Sarah Whitfield", "Medical doctor", "General Medical Council", "7654321"),
    ("Emma Clarke", "Nurse prescriber", "Nursing and Midwifery Council", "12A3456E"),
]


def style_sheet(ws, widths: list[int], header_rows: int = 1) -> None:
    for cell in ws[1]:
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center")
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = ws.cell(row=header_rows + 1, column=1)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = width
    ws.auto_filter.ref = ws.dimensions


def add_choice(ws, column: str, rows: int, choices: list[str]) -> None:
    validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"')
    validation.error = "Choose one of: " + ", ".join(choices)
    ws.add_data_validation(validation)
    validation.add(f"{column}2:{column}{rows + 1}")


def build(path: Path) -> None:
    wb = Workbook()
    clinic = wb.active
    clinic.title = "Clinic"
    clinic.append(["Setting", "Value", "Notes"])
    for row in CLINIC:
        clinic.append(list(row))
    clinic["B15"].number_format = "yyyy-mm-dd"
    for cell in clinic["A"][1:]:
        cell.font = Font(bold=True)
    for cell in clinic["C"][1:]:
        cell.font = Font(italic=True, color="666666")
    style_sheet(clinic, [24, 52, 48])
    clinic.auto_filter.ref = None

    treatments = wb.create_sheet("Treatments")
    treatments.append(TREATMENT_HEADERS)
    for row in TREATMENTS:
        treatments.append(
            [*row, *FOR_MINORS.get(row[0], (None, None)), EVIDENCE[row[0]], PRODUCTS_OF[row[0]]]
        )
    for row in treatments.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    style_sheet(treatments, [10, 24, 60, 13, 13, 13, 13, 50, 50, 40, 30, 13, 50])
    add_choice(treatments, "D", len(TREATMENTS) + 50, ["cosmetic", "therapeutic"])

    areas = wb.create_sheet("Areas")
    areas.append(["Code", "Name"])
    for row in AREAS:
        areas.append(list(row))
    style_sheet(areas, [12, 28])

    prices = wb.create_sheet("Prices")
    prices.append(PRICE_HEADERS)
    for row in PRICES:
        prices.append(list(row))
    for row in prices.iter_rows(min_row=2):
        row[2].number_format = row[4].number_format = "#,##0.00"
    style_sheet(prices, [12, 12, 18, 17, 15, 19])

    products = wb.create_sheet("Products")
    products.append(["Code", "Name", "Manufacturer", "Licensing"])
    for row in PRODUCTS:
        products.append(list(row))
    style_sheet(products, [10, 24, 24, 22])
    licensing = ["licensed for this use", "off-label", "unlicensed", "medical device"]
    add_choice(products, "D", len(PRODUCTS) + 50, licensing)

    risks = wb.create_sheet("Risks")
    risks.append(["Code", "Name", "Description", "Frequency", "Severity", "Source"])
    for code, name, description, frequency, *serious in RISKS:
        severity, source = serious or ("mild", "")
        risks.append([code, name, description, frequency, severity, source])
    for row in risks.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    style_sheet(risks, [12, 30, 80, 14, 12, 50])
    bands = ["very common", "common", "uncommon", "rare", "very rare"]
    add_choice(risks, "D", len(RISKS) + 50, bands)
    add_choice(risks, "E", len(RISKS) + 50, ["mild", "serious"])

    contraindications = wb.create_sheet("Contraindications")
    contraindications.append(["Code", "Name", "Standard"])
    for row in CONTRAINDICATIONS:
        contraindications.append(list(row))
    style_sheet(contraindications, [12, 80, 12])
    add_choice(contraindications, "C", len(CONTRAINDICATIONS) + 50, ["yes", "no"])

    practitioners = wb.create_sheet("Practitioners")
    practitioners.append(["Name", "Profession", "Registration body", "Registration number"])
    for row in PRACTITIONERS:
        practitioners.append(list(row))
    style_sheet(practitioners, [26, 28, 36, 22])

    wb.properties.title = "Lumière Aesthetic Clinic price list"
    wb.properties.creator = "docgen"
    # Fixed timestamps keep the committed file byte-stable when nothing changed.
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 1, 5, 9, 0)
    wb.save(path)


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "pricing" / "london.xlsx")
