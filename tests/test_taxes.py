"""Taxes as each country levies them (issue 27): a Taxes sheet naming several taxes per kind of
treatment, each computed on its own and printed with its name; one price everywhere."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from babel.numbers import format_percent
from conftest import (
    clinic_row,
    copied_into,
    docx_paragraphs,
    docx_text,
    money,
    pdf_text,
    set_translations,
)
from test_translation_workbook import rows

from docgen.batch import run_batch
from docgen.catalogues import compile_catalogues, update_catalogues
from docgen.estimate import plan_estimate
from docgen.exceptions import WorkbookError
from docgen.generate import create_estimate, create_price_sheet
from docgen.pricing import Kind, load_price_list, round_money
from docgen.translation_workbook import export_translations
from docgen.web import create_app
from docgen.workspace import Workspace

TPS, TVQ = Decimal(5), Decimal("9.975")


def write_taxes(path: Path, taxes: list[tuple], include: bool | None = None) -> None:
    """A Taxes sheet in the workbook at path, in place of the Clinic sheet's VAT settings."""
    workbook = openpyxl.load_workbook(path)
    clinic = workbook["Clinic"]
    for setting in ("VAT cosmetic", "VAT therapeutic"):
        if any(row[0].value == setting for row in clinic.iter_rows()):
            clinic.delete_rows(clinic_row(workbook, setting))
    if include is not None:
        clinic[f"B{clinic_row(workbook, 'Prices include VAT')}"] = "yes" if include else "no"
    if "Taxes" in workbook.sheetnames:
        del workbook["Taxes"]
    sheet = workbook.create_sheet("Taxes")
    sheet.append(["Kind", "Tax", "Rate %", "On top of"])
    for row in taxes:
        sheet.append(list(row))
    workbook.save(path)


@pytest.fixture(scope="session")
def built_montreal(built_geneva: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Geneva clinic's French workbook moved to Montreal (fr_CA, CAD), prices before taxes,
    cosmetic treatments carrying the federal TPS and Quebec's TVQ, therapeutic ones neither;
    built once per test process."""
    root = tmp_path_factory.mktemp("montreal") / "clinic"
    shutil.copytree(built_geneva, root)
    workspace = Workspace.open(root)
    path = workspace.pricing_dir / "montreal.xlsx"
    shutil.move(workspace.workbook(), path)
    workbook = openpyxl.load_workbook(path)
    workbook["Clinic"]["B7"], workbook["Clinic"]["B8"] = "CAD", "fr_CA"
    workbook.save(path)
    write_taxes(path, [("cosmetic", "TPS", TPS), ("cosmetic", "TVQ", TVQ)], include=False)
    update_catalogues(workspace)
    compile_catalogues(workspace)
    return root


@pytest.fixture
def montreal(workspace: Workspace, built_montreal: Path) -> Workspace:
    return copied_into(workspace, built_montreal)


def percent(rate: Decimal, locale: str) -> str:
    return format_percent(rate / 100, locale=locale, decimal_quantization=False)


def test_each_tax_is_computed_on_its_base_rounded_and_printed_with_its_name(montreal, tmp_path):
    """Quebec: TPS 5 % and TVQ 9.975 % on the cosmetic lines' total, each rounded on its own
    (one '14.975 %' line differs from the legal sum by a cent); the therapeutic line untaxed."""
    items = ["REJUV:NECK:5", "HAIR:SCALP:6", "PAINR:KNEES"]
    document = create_estimate(
        montreal, "Léa Tremblay", items, output=tmp_path / "e.docx", pdf=True
    )
    prices = load_price_list(montreal.workbook())
    estimate = plan_estimate(prices, items)
    cosmetic = sum(
        (line.amount for line in estimate.lines if line.treatment.kind is Kind.COSMETIC),
        Decimal(0),
    )
    tps, tvq = (round_money(cosmetic * rate / 100, "CAD") for rate in (TPS, TVQ))
    assert [(v.name, v.base, v.vat) for v in estimate.vat_lines] == [
        ("TPS", cosmetic, tps),
        ("TVQ", cosmetic, tvq),
    ]
    listed = sum((line.amount for line in estimate.lines), Decimal(0))
    assert estimate.total == listed + tps + tvq  # adds up on paper
    text = docx_text(document.docx)
    for name, rate, amount in (("TPS", TPS, tps), ("TVQ", TVQ, tvq)):
        label = f"{name} {percent(rate, 'fr_CA')} sur {money(cosmetic, 'CAD', 'fr_CA')}"
        assert label in docx_paragraphs(document.docx)
        assert money(amount, "CAD", "fr_CA") in text
    assert "Sous-total avant taxes" in text and money(listed, "CAD", "fr_CA") in text
    assert money(estimate.total, "CAD", "fr_CA") in text
    printed = pdf_text(document.pdf)
    assert "TVA" not in printed and "VAT" not in printed  # a Canadian reads no VAT
    assert "TPS" in printed and "TVQ" in printed


def test_a_compounding_tax_is_charged_on_the_tax_beneath_it(montreal):
    """Quebec before 2013: TVQ on the price plus its TPS ('On top of')."""
    write_taxes(
        montreal.workbook(),
        [("cosmetic", "TPS", TPS), ("cosmetic", "TVQ", Decimal("8.5"), "TPS")],
    )
    prices = load_price_list(montreal.workbook())
    estimate = plan_estimate(prices, ["REJUV:FACE"])
    base = estimate.lines[0].amount
    tps = round_money(base * TPS / 100, "CAD")
    tvq = round_money((base + tps) * Decimal("8.5") / 100, "CAD")
    assert [(v.name, v.base, v.vat) for v in estimate.vat_lines] == [
        ("TPS", base, tps),
        ("TVQ", base + tps, tvq),
    ]
    assert estimate.total == base + tps + tvq


def test_taxes_included_in_the_prices_split_them_exactly(montreal):
    """CGST and SGST 9 % each, in prices that include them: the base and the taxes add up to
    the price, each tax its share of it rounded once."""
    write_taxes(
        montreal.workbook(),
        [("cosmetic", "CGST", Decimal(9)), ("cosmetic", "SGST", Decimal(9))],
        include=True,
    )
    prices = load_price_list(montreal.workbook())
    estimate = plan_estimate(prices, ["REJUV:NECK:5", "HAIR:SCALP:7"])
    gross = sum((line.amount for line in estimate.lines), Decimal(0))
    share = round_money(estimate.net * Decimal("0.09"), "CAD")  # 9 % of the printed base
    assert [(v.name, v.vat) for v in estimate.vat_lines] == [("CGST", share), ("SGST", share)]
    assert {v.base for v in estimate.vat_lines} == {estimate.net}
    assert estimate.net + 2 * share + estimate.tax_rounding == gross == estimate.total
    assert abs(estimate.net - gross / Decimal("1.18")) < Decimal("0.03")


@pytest.mark.parametrize(
    ("rates", "price"),
    [((Decimal(5), Decimal("9.975")), Decimal("1244.62")), ((Decimal("8.1"),), Decimal("5.00"))],
)
def test_every_tax_in_a_price_is_its_rate_of_the_base_printed(montreal, tmp_path, rates, price):
    """'TPS 5 % on £1,082.50: £54.12' (5 % of 1,082.50 is 54.13), '8.1 % on 4.63: 0.37': the
    share of a price was rounded apart from the base printed. Each tax is now its rate of the
    printed base; a price no base gives back to the cent says so on a line of its own."""
    taxes = [("cosmetic", f"T{i}", rate) for i, rate in enumerate(rates)]
    write_taxes(montreal.workbook(), taxes, include=True)
    workbook = openpyxl.load_workbook(montreal.workbook())
    workbook["Prices"]["C2"], workbook["Prices"]["D2"] = price, None  # REJUV:FACE, no course
    workbook["Prices"]["E2"], workbook["Treatments"]["E2"] = None, 1  # one session allowed
    workbook.save(montreal.workbook())
    estimate = plan_estimate(load_price_list(montreal.workbook()), ["REJUV:FACE:1"])
    for line in estimate.vat_lines:
        assert line.vat == round_money(line.base * line.rate / 100, "CAD"), line
    assert estimate.net + estimate.vat + estimate.tax_rounding == price == estimate.total
    printed = docx_paragraphs(
        create_estimate(montreal, "A", ["REJUV:FACE:1"], output=tmp_path / "e.docx").docx
    )
    if estimate.tax_rounding:  # 8.1 % of 4.63 is 0.38: 5.01, one cent over the price
        assert estimate.tax_rounding == Decimal("-0.01")
        assert "Arrondi" in printed and money("-0.01", "CAD", "fr_CA") in printed


def test_the_price_sheet_asks_what_an_estimate_of_the_item_alone_asks(montreal, tmp_path):
    """From prices before taxes the sheet added tax row by row and the estimate on the total:
    they disagreed by a cent in more than half the plans."""
    sheet = create_price_sheet(montreal, output=tmp_path / "tarif.docx")
    printed = docx_text(sheet.docx)
    prices = load_price_list(montreal.workbook())
    for (treatment, area), price in prices.prices.items():
        if price.course:
            alone = plan_estimate(prices, [f"{treatment}:{area}:{price.course.sessions}"])
            assert money(alone.total, "CAD", "fr_CA") in printed, (treatment, area)
        kind = prices.treatments[treatment].kind
        per_session = price.per_session + sum(
            (
                t.amount
                for t in prices.tax_amounts(price.per_session, prices.clinic.taxes_on(kind)).taxes
            ),
            Decimal(0),
        )
        assert money(per_session, "CAD", "fr_CA") in printed, (treatment, area)
    facts = [p for p in docx_paragraphs(sheet.docx) if "TPS" in p]
    assert facts and all(f"TVQ {percent(TVQ, 'fr_CA')}" in p for p in facts)
    assert "Traitements thérapeutiques\u00a0: non taxés." in printed


def test_a_tax_name_is_a_clinic_text_translated_like_the_others(montreal, tmp_path):
    exported = {r["Source text"]: r for r in rows(export_translations(
        montreal, "de_CH", tmp_path / "de.xlsx"
    ))}  # fmt: skip
    assert exported["TVQ"]["Where used"] == "pricing/montreal.xlsx, Taxes!B3"
    assert exported["TVQ"]["Status"] == "missing"


def test_every_mistake_in_the_taxes_sheet_is_named_by_its_cell(montreal):
    write_taxes(
        montreal.workbook(),
        [
            ("cosmetic", "TPS", TPS),
            ("cosmetic", "TPS", TVQ),
            ("therapeutic", "TVH", Decimal(13), "TPS"),
            ("cosmetics", "TVQ", TVQ),
        ],
    )
    with pytest.raises(WorkbookError) as raised:
        load_price_list(montreal.workbook())
    problems = [str(problem) for problem in raised.value.problems]
    assert any(p.startswith("montreal.xlsx, Taxes!B3: a second TPS for cosmetic") for p in problems)
    assert any(
        p.startswith("montreal.xlsx, Taxes!D4: found 'TPS', expected the name of a tax on an "
                     "earlier row for therapeutic treatments (none)")
        for p in problems
    ), problems  # fmt: skip
    assert any(p.startswith("montreal.xlsx, Taxes!A5: found 'cosmetics'") for p in problems)


def test_without_a_taxes_sheet_the_vat_settings_are_needed(montreal):
    workbook = openpyxl.load_workbook(montreal.workbook())
    del workbook["Taxes"]
    workbook.save(montreal.workbook())
    with pytest.raises(WorkbookError) as raised:
        load_price_list(montreal.workbook())
    problems = [str(problem) for problem in raised.value.problems]
    assert "montreal.xlsx, sheet 'Clinic': missing setting 'vat cosmetic' in column A" in problems
    assert "montreal.xlsx, sheet 'Clinic': missing setting 'vat therapeutic' in column A" in (
        problems
    )


def test_the_sample_clinic_still_prints_vat(workspace, tmp_path):
    document = create_estimate(workspace, "Ann Lee", ["REJUV:FACE"], output=tmp_path / "e.docx")
    text = docx_text(document.docx)
    assert "Subtotal excluding VAT" in text
    assert f"VAT {percent(Decimal(20), 'en_GB')} on" in text
    assert docx.Document(str(document.docx)).core_properties.title


def test_a_tax_name_that_would_print_a_line_of_its_own_is_refused(montreal):
    """'TPS\nTotal £0.00' printed a fake 'Total £0.00' line among the totals, and a 20,000
    character name ran the estimate to 14 pages: a tax's name is one line, a workbook's text
    at most what any translation may be."""
    write_taxes(
        montreal.workbook(),
        [("cosmetic", "TPS\nTotal 0,00 $", TPS), ("cosmetic", "T" * 61, TVQ)],
    )
    workbook = openpyxl.load_workbook(montreal.workbook())
    workbook["Treatments"]["B2"] = "Rajeunissement " * 400  # 6,000 characters
    workbook.save(montreal.workbook())
    with pytest.raises(WorkbookError) as raised:
        load_price_list(montreal.workbook())
    problems = [str(problem) for problem in raised.value.problems]
    for cell in ("B2", "B3"):
        assert any(
            p.startswith(f"montreal.xlsx, Taxes!{cell}: found")
            and p.endswith("expected a name on one line of at most 60 characters")
            for p in problems
        ), problems
    assert (
        "montreal.xlsx, Treatments!B2: a text of at most 5000 characters (this one has 5999)"
        in problems
    )


def test_the_desk_preview_names_the_taxes_as_the_estimate_does(montreal, tmp_path):
    """The desk shows an estimate's totals before anything is written: the same rows, the
    clinic's tax names, no VAT."""
    document = create_estimate(montreal, "Léa Tremblay", ["REJUV:FACE"], output=tmp_path / "e")
    (totals,) = [
        table for table in docx.Document(str(document.docx)).tables
        if table.rows[0].cells[0].text == "Sous-total avant taxes"
    ]  # fmt: skip
    printed = [(row.cells[0].text, row.cells[-1].text) for row in totals.rows]
    desk = create_app(montreal, tmp_path).test_client()
    shown = desk.get("/preview?treatment=REJUV&area=FACE&locale=fr_CA&visit=PAINR:KNEES").get_json()
    labels = [row["label"] for row in shown["totals"]]
    assert labels[:3] == [label for label, _amount in printed[:3]]
    assert labels[1].startswith("TPS") and labels[2].startswith("TVQ")
    assert not any("TVA" in label for label in labels)


@pytest.mark.parametrize(
    ("sheet", "cell"),
    [("Areas", "B2"), ("Treatments", "B2"), ("Practitioners", "D2"), ("Clinic", "B2"),
     ("Risks", "B2"), ("Products", "B2")],
)  # fmt: skip
def test_a_name_printed_beside_amounts_is_one_line(montreal, sheet, cell):
    """'Face\\nDiscount −£1,250.00 · Total to pay £0.00' as an area's name printed a line of
    its own in the consent form's cost table, above the real total."""
    workbook = openpyxl.load_workbook(montreal.workbook())
    workbook[sheet][cell] = "Visage\nRemise −1 250,00 $ · Total à payer 0,00 $"
    workbook.save(montreal.workbook())
    with pytest.raises(WorkbookError) as raised:
        load_price_list(montreal.workbook())
    problems = [str(p) for p in raised.value.problems if f"{sheet}!{cell}" in str(p)]
    said = "expected a name on one line of at most 120 characters"
    assert any(problem.endswith(said) for problem in problems), problems


def test_a_direction_mark_in_a_left_to_right_clinics_workbook_is_refused(montreal):
    """'020 7946\\u200f 0000 111' printed as '020 7946111 0000': the aftercare number a patient
    calls at night, reordered by a mark an Arabic text may need and a French one never does."""
    workbook = openpyxl.load_workbook(montreal.workbook())
    workbook["Clinic"][f"B{clinic_row(workbook, 'Complications phone')}"] = "514 555\u200f 0199"
    workbook.save(montreal.workbook())
    with pytest.raises(WorkbookError) as raised:
        load_price_list(montreal.workbook())
    assert any("U+200F" in str(problem) for problem in raised.value.problems)


def set_clinic(workspace: Workspace, **settings: object) -> None:
    workbook = openpyxl.load_workbook(workspace.workbook())
    clinic = workbook["Clinic"]
    for setting, value in settings.items():
        label = setting.replace("_", " ").capitalize()
        if not any(row[0].value == label for row in clinic.iter_rows()):
            clinic.append([label])
        clinic[f"B{clinic_row(workbook, label)}"] = value
    workbook.save(workspace.workbook())


def test_the_consultation_fee_is_printed_with_the_taxes_its_kind_carries(montreal, tmp_path):
    """From prices before taxes, the fee was printed as listed, untaxed (¥3,000 for ¥3,300:
    Japan's law on showing prices forbids it). It carries its kind's taxes, on the price sheet
    as on the estimate, which says so beside its own prices before tax."""
    set_clinic(montreal, consultation_fee=100)
    fee = Decimal(100)
    taxed = fee + round_money(fee * TPS / 100, "CAD") + round_money(fee * TVQ / 100, "CAD")
    shown = money(taxed, "CAD", "fr_CA")
    estimate = create_estimate(montreal, "Léa", ["REJUV:NECK"], output=tmp_path / "e.docx")
    sheet = create_price_sheet(montreal, output=tmp_path / "tarif.docx")
    said = f"La consultation initiale est facturée {shown}, taxes comprises."
    assert said in docx_paragraphs(estimate.docx)
    assert f"La consultation initiale est facturée {shown}." in docx_paragraphs(sheet.docx)
    assert money(fee, "CAD", "fr_CA") not in docx_text(sheet.docx)

    set_clinic(montreal, consultation_kind="therapeutic")  # untaxed here
    estimate = create_estimate(montreal, "Léa", ["REJUV:NECK"], output=tmp_path / "f.docx")
    plain = f"La consultation initiale est facturée {money(fee, 'CAD', 'fr_CA')}."
    assert plain in docx_paragraphs(estimate.docx)


def test_a_fee_from_prices_including_taxes_is_printed_as_listed(workspace, tmp_path):
    estimate = create_estimate(workspace, "Ann", ["REJUV:FACE"], output=tmp_path / "e.docx")
    fee = load_price_list(workspace.workbook()).clinic.consultation_fee
    assert f"An initial consultation costs {money(fee, 'GBP', 'en_GB')}." in docx_paragraphs(
        estimate.docx
    )


def test_a_vat_rate_left_beside_a_taxes_sheet_is_refused(montreal):
    """With a Taxes sheet listing only cosmetic taxes, a 'VAT therapeutic 20' left on the
    Clinic sheet was silently ignored: the therapeutic lines went untaxed."""
    workbook = openpyxl.load_workbook(montreal.workbook())
    workbook["Clinic"].append(["VAT therapeutic", 20])
    row = workbook["Clinic"].max_row
    workbook.save(montreal.workbook())
    with pytest.raises(WorkbookError) as refused:
        load_price_list(montreal.workbook())
    said = str(refused.value)
    assert f"montreal.xlsx, Clinic!B{row}: the Taxes sheet sets the taxes" in said
    assert "remove it, or list the tax on the Taxes sheet" in said


def test_a_discount_is_taken_off_before_tax_and_printed_with_its_reason(montreal, tmp_path, run):
    """Issue 27 item 6, in Montreal (French, prices before TPS and TVQ): the treatments' total,
    the discount with its reason, then each tax on what is left; the consent form's cost
    table takes it off too, and the sum on paper is the total."""
    plan = ["--treatment", "REJUV", "--area", "NECK", "--sessions", "5"]
    result = run(
        "--workspace", montreal.root, "consent", "--patient", "Léa Tremblay", *plan,
        "--discount", "10%", "--discount-reason", "Fidélité & <amis>", "-o", "out/", "--pdf",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    prices = load_price_list(montreal.workbook())
    listed = plan_estimate(prices, ["REJUV:NECK:5"]).listed
    discounted = round_money(listed * 10 / 100, "CAD")
    left = listed - discounted
    tps, tvq = (round_money(left * rate / 100, "CAD") for rate in (TPS, TVQ))
    estimate = next((tmp_path / "out").glob("estimate-*.pdf"))
    printed = " ".join(pdf_text(estimate).replace("\u00a0", " ").split())

    def shown(amount: Decimal) -> str:
        return money(amount, "CAD", "fr_CA").replace("\u00a0", " ")

    assert f"Total des traitements {shown(listed)}" in printed
    said = f"Remise de {percent(Decimal(10), 'fr_CA')} (Fidélité & <amis>) {shown(-discounted)}"
    assert said.replace("\u00a0", " ") in printed
    tax_base = money(left, "CAD", "fr_CA")
    assert f"TPS {percent(TPS, 'fr_CA')} sur {tax_base}" in docx_paragraphs(
        estimate.with_suffix(".docx")
    )
    assert money(left + tps + tvq, "CAD", "fr_CA") in docx_text(estimate.with_suffix(".docx"))
    form = next((tmp_path / "out").glob("consent-*.docx"))
    cost = docx_text(form)
    assert "Remise de" in cost and "(Fidélité & <amis>)" in cost
    assert money(left + tps + tvq, "CAD", "fr_CA") in cost


@pytest.mark.parametrize(
    ("discount", "reason", "said"),
    [
        ("10%", "", "the discount 10% needs its reason"),
        ("", "Fidélité", "a discount reason needs a discount"),
        ("dix", "Fidélité", "discount dix is not a percentage from 0 to 100 %"),
        ("120%", "Fidélité", "discount 120% is not a percentage"),
        ("99999", "Fidélité", "the discount 99999 is not an amount to the cent"),
        ("10.0001", "Fidélité", "the discount 10.0001 is not an amount to the cent"),
        ("1,000", "Fidélité", "discount 1,000 could be read two ways"),
        ("0.0001%", "Fidélité", "the discount 0.0001% takes nothing off"),
        ("10%", "Fidélité\nTOTAL 0,00 $", "the discount reason must be one line"),
    ],
)
def test_a_discount_that_cannot_be_printed_as_typed_is_refused(
    montreal, tmp_path, run, discount, reason, said
):
    result = run(
        "--workspace", montreal.root, "estimate", "--patient", "Léa", "--item", "REJUV:NECK",
        "--discount", discount, "--discount-reason", reason, "-o", "out/",
    )  # fmt: skip
    assert result.exit_code == 1 and said in result.output, result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_batch_takes_the_visits_discount_off_its_estimate_and_names_bad_cells(montreal, tmp_path):
    day = tmp_path / "day.csv"
    day.write_text(
        "Patient,Ref,Treatment,Areas,Sessions,Discount,Discount reason\n"
        "Léa Tremblay,L1,REJUV,NECK,5,50,Amie\n"
        "Léa Tremblay,L1,PAINR,KNEES,,,\n"
        "Marc Roy,M1,REJUV,NECK,5,10%,\n"
        "Zoé Roy,Z1,REJUV,NECK,5,10%,Amie\n"
        "Zoé Roy,Z1,PAINR,KNEES,,5%,Amie\n"
        "Ana Lima,A1,REJUV,NECK,5,10%,Amie\n",  # a visit of one row
        encoding="utf-8",
    )
    result = run_batch(montreal, day, tmp_path / "out", jobs=1)
    reasons = {failure.row: failure.reason for failure in result.failures}
    assert "cell G4: the discount 10% needs its reason" in reasons[4]
    assert "give different discounts" in reasons[5] and "give different discounts" in reasons[6]
    prices = load_price_list(montreal.workbook())
    visit = plan_estimate(prices, ["REJUV:NECK:5", "PAINR:KNEES"])
    estimate = next((tmp_path / "out").glob("L1-*/estimate.docx"))
    printed = docx_text(estimate)
    assert "Remise (Amie)" in printed and money(-50, "CAD", "fr_CA") in printed
    assert money(visit.listed, "CAD", "fr_CA") in printed
    assert not list((tmp_path / "out").glob("Z1-*"))
    one_row = docx_text(next((tmp_path / "out").glob("A1-*/estimate.docx")))
    assert f"Remise de {percent(Decimal(10), 'fr_CA')} (Amie)" in one_row


@pytest.mark.parametrize(
    ("alike", "names"),
    [
        ({"TPS": "TPS", "TVQ": "TPS"}, "'TPS', 'TVQ'"),
        ({"Neck": "Visage"}, "'Face', 'Neck'"),
        # alike to a reader: another case, a trailing space, é as e and its accent
        ({"Neck": "visage "}, "'Face', 'Neck'"),
        ({"Pain relief": "Revitalisation cutane\u0301e"}, "'Pain relief', 'Skin rejuvenation'"),
    ],
)
def test_translations_that_print_two_names_alike_are_refused(workspace, run, alike, names):
    """A translation of 'TVQ' reading 'TPS' labelled Quebec's tax as the federal one on every
    French estimate, and `check` said ready; an area translated as another's name ('Neck' as
    'Visage', Face's) printed two lines of one estimate with one name."""
    if "TVQ" in alike:
        taxes = [("cosmetic", "TPS", TPS), ("cosmetic", "TVQ", TVQ)]
        write_taxes(workspace.workbook(), taxes, include=False)
        update_catalogues(workspace)
    set_translations(workspace, "fr", "docgen", alike)
    compile_catalogues(workspace)
    result = run(
        "--workspace", workspace.root, "estimate", "--patient", "Ann Lee", "--item",
        "REJUV:FACE", "--locale", "fr_FR", "-o", "e.docx",
    )  # fmt: skip
    assert result.exit_code == 1 and not Path("e.docx").exists()
    said = f"would print the {'taxes' if 'TVQ' in alike else ''}"
    assert "which a patient cannot tell apart" in result.output, result.output
    assert f"{names} all as" in result.output and said in result.output
    checked = run("--workspace", workspace.root, "check")
    assert checked.exit_code == 1 and f"{names} all as" in checked.output


def test_the_consultation_is_a_line_of_the_estimate_taxed_as_its_kind(montreal, tmp_path, run):
    """Issue 27 item 4: a patient who has the initial consultation finds it on the estimate
    as a priced line, carrying its kind's taxes with the treatments of that kind; a clinic
    without a fee is told so."""
    command = ["--workspace", montreal.root, "estimate", "--patient", "Léa", "--item",
               "PAINR:KNEES", "--consultation"]  # fmt: skip
    set_clinic(montreal, consultation_fee=None)
    refused = run(*command, "-o", "none.docx")
    assert refused.exit_code == 1 and not Path("none.docx").exists()
    assert "montreal.xlsx gives no Consultation fee on its Clinic sheet" in refused.output
    set_clinic(montreal, consultation_fee=100)
    assert run(*command, "-o", "e.docx", "--pdf").exit_code == 0
    prices = load_price_list(montreal.workbook())
    knees = plan_estimate(prices, ["PAINR:KNEES"]).listed  # therapeutic: untaxed here
    tps, tvq = (round_money(Decimal(100) * rate / 100, "CAD") for rate in (TPS, TVQ))
    paragraphs = docx_paragraphs(Path("e.docx"))
    assert "Consultation initiale" in paragraphs
    assert f"TPS {percent(TPS, 'fr_CA')} sur {money(100, 'CAD', 'fr_CA')}" in paragraphs
    assert money(knees + 100 + tps + tvq, "CAD", "fr_CA") in paragraphs
    printed = " ".join(pdf_text(Path("e.pdf")).replace("\u00a0", " ").split())
    assert "Consultation initiale 1 100,00 $ 100,00 $" in printed

    day = tmp_path / "day.csv"
    day.write_text(
        "Patient,Ref,Treatment,Areas,Consultation\nLéa,L1,PAINR,KNEES,yes\nMarc,M1,PAINR,KNEES,oui\n",
        encoding="utf-8",
    )
    result = run_batch(montreal, day, tmp_path / "out", jobs=1)
    reasons = {failure.row: failure.reason for failure in result.failures}
    assert "cell E3: consultation 'oui' is not yes or no" in reasons[3]
    batch_estimate = next((tmp_path / "out").glob("L1-*/estimate.docx"))
    assert "Consultation initiale" in docx_paragraphs(batch_estimate)
