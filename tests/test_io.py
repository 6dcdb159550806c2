"""Reading data: formats, encoding, task inference and the errors users hit."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import dump_svmlight_file

from shrinkage.io import encode_features, read_data


@pytest.fixture
def table(rng):
    n = 60
    frame = pd.DataFrame(
        {
            "size": rng.normal(100, 20, n),
            "city": rng.choice(["b", "a", "c"], n),
            "rooms": rng.integers(1, 5, n),
        }
    )
    frame["price"] = 3 * frame["size"] + rng.normal(0, 5, n)
    return frame


def test_csv_tsv_parquet_agree(table, tmp_path):
    pytest.importorskip("pyarrow")  # the 'io' extra, for parquet
    table.to_csv(tmp_path / "d.csv", index=False)
    table.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    table.to_csv(tmp_path / "d.txt", sep=";", index=False)
    table.to_parquet(tmp_path / "d.parquet")
    loaded = [
        read_data(tmp_path / f"d.{ext}", target="price") for ext in ("csv", "tsv", "txt", "parquet")
    ]
    for data in loaded[1:]:
        np.testing.assert_allclose(data.X, loaded[0].X)
        assert data.feature_names == loaded[0].feature_names
    data = loaded[0]
    assert data.task == "regression"
    assert data.feature_names == ["size", "city=a", "city=b", "city=c", "rooms"]
    # One-hot columns are exact indicators of the level.
    np.testing.assert_array_equal(data.X[:, 1], (table["city"] == "a").to_numpy(float))
    np.testing.assert_allclose(data.y, table["price"])


def test_dataframe_and_encoding_reused_for_new_rows(table):
    data = read_data(table, target="price")
    again = encode_features(table.drop(columns="price").iloc[:5], data.encoding)
    np.testing.assert_allclose(again, data.X[:5])
    with pytest.raises(ValueError, match="lacks the columns"):
        encode_features(table.drop(columns=["price", "rooms"]), data.encoding)
    with pytest.raises(ValueError, match="does not know"):
        encode_features(table, data.encoding)
    new = table.drop(columns="price").iloc[:3].copy()
    new.loc[new.index[0], "city"] = "z"
    with pytest.raises(ValueError, match="never seen"):
        encode_features(new, data.encoding)


def test_polars_dataframe(table):
    polars = pytest.importorskip("polars")
    data = read_data(polars.from_pandas(table), target="price")
    np.testing.assert_allclose(data.X, read_data(table, target="price").X)


def test_svmlight_and_npz(rng, tmp_path):
    X = rng.normal(size=(20, 4))
    y = (X[:, 0] > 0).astype(float)
    dump_svmlight_file(X, y, str(tmp_path / "d.svm"))
    data = read_data(tmp_path / "d.svm")
    assert data.task == "classification"
    np.testing.assert_allclose(data.X.toarray(), X, atol=1e-12)
    np.savez(tmp_path / "d.npz", X=X, y=X @ [1.0, 2, 3, 4], feature_names=np.array(list("abcd")))
    data = read_data(tmp_path / "d.npz")
    assert data.feature_names == list("abcd") and data.task == "regression"


def test_task_inference_and_override(table):
    table["label"] = np.where(table["size"] > 100, "high", "low")
    data = read_data(table.drop(columns="price"), target="label")
    assert data.task == "classification" and data.classes == ["high", "low"]
    np.testing.assert_array_equal(data.y, (table["label"] == "low").to_numpy(float))
    assert read_data(table, target="rooms").task == "regression"  # 4 integer values
    many = read_data(table, target="rooms", task="classification")  # multinomial
    assert many.classes == [str(v) for v in np.unique(table["rooms"])]
    np.testing.assert_array_equal(
        many.y, np.searchsorted(np.unique(table["rooms"]), table["rooms"])
    )


def test_missing_values_reported_by_column(table):
    table.loc[[1, 4, 7], "size"] = np.nan
    table.loc[[2], "city"] = None
    with pytest.raises(ValueError, match=r"size: 3, city: 1.*--drop-missing"):
        read_data(table, target="price")
    data = read_data(table, target="price", drop_missing=True)
    assert data.X.shape[0] == len(table) - 4
    assert f"4 of {len(table)} rows dropped for missing values" in data.description


def test_a_mostly_empty_column_is_named_for_drop(table):
    """An empty trailing column (a spreadsheet's export): --drop-missing would drop
    every row, so the message names the column to --drop."""
    table["Unnamed: 9"] = np.nan
    with pytest.raises(ValueError, match=r"--drop 'Unnamed: 9'"):
        read_data(table, target="price")
    with pytest.raises(ValueError, match=r"Every row.*--drop 'Unnamed: 9'"):
        read_data(table, target="price", drop_missing=True)


def test_classes_lost_to_dropped_rows_are_named():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0],
            "z": [0.5, 0.1, 0.3, 0.2, 0.9, 0.4, 0.8, 0.7],
            "y": ["a", "b", "a", "b", "rare", "a", "b", "a"],
        }
    )
    with pytest.warns(UserWarning, match=r"classes rare of 'y'"):
        data = read_data(frame, target="y", drop_missing=True)
    assert data.X.shape[0] == 7


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t.assign(price=1.0), "constant"),
        (
            lambda t: t.assign(rooms=t["rooms"].astype(object).where(t.index != 3, "four")),
            "numeric but has text",
        ),
        (lambda t: t.drop(columns="price"), "not in"),
    ],
)
def test_bad_tables(table, change, message):
    with pytest.raises(ValueError, match=message):
        read_data(change(table), target="price")


def test_bad_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty"):
        read_data(tmp_path / "empty.csv", target="y")
    with pytest.raises(ValueError, match="No such file"):
        read_data(tmp_path / "nothing.csv", target="y")
    (tmp_path / "x.xlsx").write_text("a")
    with pytest.raises(ValueError, match="Unknown file type"):
        read_data(tmp_path / "x.xlsx", target="y")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="Parquet"):
        read_data(tmp_path / "bad.parquet", target="y")
    (tmp_path / "one.csv").write_text("a,y\n1,0\n2,0\n")
    with pytest.raises(ValueError, match="constant"):
        read_data(tmp_path / "one.csv", target="y")
    with pytest.raises(ValueError, match="--target"):
        read_data(tmp_path / "one.csv")


def test_two_level_text_column_is_one_indicator(table):
    frame = table.assign(owner=np.where(table["rooms"] > 2, "yes", "no"))
    data = read_data(frame, target="price")
    assert data.feature_names == ["size", "city=a", "city=b", "city=c", "rooms", "owner=yes"]
    np.testing.assert_array_equal(data.X[:, -1], (frame["owner"] == "yes").to_numpy(float))
    # New rows are encoded the same way, and a row of the first level is all zeros there.
    again = encode_features(frame.drop(columns="price").head(5), data.encoding)
    np.testing.assert_array_equal(again, data.X[:5])


def test_encodings_saved_before_the_binary_rule_keep_every_level(table):
    frame = table.assign(owner=np.where(table["rooms"] > 2, "yes", "no"))
    old = {
        "columns": ["size", "city", "rooms", "owner"],
        "categorical": {"city": ["a", "b", "c"], "owner": ["no", "yes"]},
    }
    X = encode_features(frame.drop(columns="price"), old)
    assert X.shape[1] == 7
    np.testing.assert_array_equal(X[:, 5] + X[:, 6], 1.0)


def test_drop_columns_leaves_them_out_before_missing_values_count(table):
    frame = table.assign(patient_id=[f"P{i}" for i in range(len(table))], notes=None)
    frame.loc[::2, "notes"] = "seen"
    data = read_data(frame, target="price", drop_columns=["patient_id", "notes"])
    assert data.feature_names == read_data(table, target="price").feature_names
    assert data.X.shape[0] == len(table)  # the gaps in `notes` cost no rows


@pytest.mark.parametrize(
    "drop, message",
    [(["nope"], r"--drop names columns DataFrame lacks: \[.nope.\]"), (["price"], "target column")],
)
def test_drop_columns_errors_name_the_column(table, drop, message):
    with pytest.raises(ValueError, match=message):
        read_data(table, target="price", drop_columns=drop)


def test_drop_columns_refused_for_files_without_column_names():
    with pytest.raises(ValueError, match="no named columns"):
        read_data("diabetes", drop_columns=["bmi"])


def test_integer_codes_as_a_target_are_a_regression_said_out_loud(table):
    frame = table.assign(kind=np.resize([1, 2, 3, 5, 7], len(table)))
    data = read_data(frame.drop(columns="price"), target="kind")
    assert data.task == "regression" and "Note: the target 'kind'" in data.description
    assert "--task classification" in data.description
    # Asked for explicitly, no note; and a continuous target never gets one.
    explicit = read_data(frame.drop(columns="price"), target="kind", task="classification")
    assert explicit.task == "classification" and len(explicit.classes) == 5
    assert "Note" not in read_data(table, target="price").description


@pytest.fixture
def european(table, tmp_path):
    """``table`` as a European spreadsheet exports it: ';' between fields, decimal
    commas, Windows-1252 text (accented names and levels)."""
    frame = table.rename(columns={"size": "Größe"}).replace({"city": {"a": "café"}})
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    return frame, path


def test_european_export_read_with_its_format(european):
    from shrinkage.io import TableFormat

    frame, path = european
    data = read_data(path, target="price",
                     table_format=TableFormat(sep=";", decimal=",", encoding="cp1252"))
    assert data.feature_names[0] == "Größe" and "city=café" in data.feature_names
    np.testing.assert_allclose(data.X[:, 0], frame["Größe"], rtol=1e-14)
    np.testing.assert_allclose(data.y, frame["price"], rtol=1e-14)


@pytest.mark.parametrize(
    "fmt, message",
    [
        ({}, "is not utf-8 text"),  # the bytes of é, ö in cp1252
        ({"encoding": "cp1252"}, "separated by ';': pass --sep ';'"),
        ({"encoding": "cp1252", "sep": ";"}, r"decimal commas \(e\.g\. "),
    ],
)
def test_european_export_misread_is_refused_with_the_fix(european, fmt, message):
    """A wrong encoding, separator or decimal mark is an error naming the option that
    fixes it, never a table of one column or of numbers turned into categories."""
    from shrinkage.io import TableFormat

    _, path = european
    with pytest.raises(ValueError, match=message):
        read_data(path, target="price", table_format=TableFormat(**fmt))


def test_decimal_comma_needs_another_separator_than_a_csv_comma(table, tmp_path):
    from shrinkage.io import TableFormat

    table.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match="also d.csv's field separator; give the separator"):
        read_data(tmp_path / "d.csv", target="price", table_format=TableFormat(decimal=","))


def test_tab_separated_csv_names_the_tab(table, tmp_path):
    from shrinkage.io import TableFormat

    table.to_csv(tmp_path / "tabs.csv", sep="\t", index=False)
    with pytest.raises(ValueError, match="separated by tab: pass --sep tab"):
        read_data(tmp_path / "tabs.csv", target="price")
    data = read_data(tmp_path / "tabs.csv", target="price", table_format=TableFormat(sep="\t"))
    np.testing.assert_allclose(data.y, table["price"], rtol=1e-14)


@pytest.mark.parametrize(
    "fmt, message",
    [({"encoding": "nope"}, "Unknown text encoding"), ({"sep": ";;"}, "one character"),
     ({"sep": ",", "decimal": ","}, "other than the separator")],
)
def test_table_format_refuses_what_cannot_be(fmt, message):
    from shrinkage.io import TableFormat

    with pytest.raises(ValueError, match=message):
        TableFormat(**fmt)


@pytest.mark.parametrize("column", ["id", "date"])
def test_a_text_column_unique_in_every_row_is_refused(table, tmp_path, column):
    """An ID or date column read as text would become one indicator per row (each fits
    one row exactly, and a new row matches none): refused, naming the column and --drop;
    dropped, the table reads."""
    frame = table.assign(id=[f"u{i:03d}" for i in range(len(table))],
                         date=pd.date_range("2020-01-01", periods=len(table)).astype(str))
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match=rf"Column '{column}' has a different value in every"
                                         rf" one of its 60 rows .* --drop {column}"):
        read_data(tmp_path / "d.csv", target="price",
                  drop_columns=[c for c in ("id", "date") if c != column])
    data = read_data(tmp_path / "d.csv", target="price", drop_columns=["id", "date"])
    assert data.X.shape == (60, 5)  # size, rooms and one indicator per city


# -- numbers misread by their marks, and column names as fit and predict compare them ------
def test_decimal_points_read_with_a_decimal_comma_are_refused(table, tmp_path):
    """`--sep ';' --decimal ,` on a file whose numbers use '.': every fraction would be
    text, then categories; refused with the option to drop."""
    from shrinkage.io import TableFormat

    table.to_csv(tmp_path / "d.csv", sep=";", index=False)
    fmt = TableFormat(sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"decimal points \(e\.g\. .*drop --decimal ','"):
        read_data(tmp_path / "d.csv", target="price", table_format=fmt)
    data = read_data(tmp_path / "d.csv", target="price", table_format=TableFormat(sep=";"))
    np.testing.assert_allclose(data.y, table["price"], rtol=1e-14)


def _grouped(value: int) -> str:
    return f"{value:,}"


@pytest.mark.parametrize("sep", [";", ","])
def test_digit_grouping_is_not_taken_for_decimal_commas(table, tmp_path, sep):
    """'77,429' beside '.' fractions in other columns is 77429: the advice is to remove
    the grouping, not --decimal ','."""
    frame = table.assign(income=[_grouped(v) for v in np.arange(60) * 1237 + 10_000])
    frame.to_csv(tmp_path / "d.csv", sep=sep, index=False)  # (quoted when sep is ',')
    from shrinkage.io import TableFormat

    with pytest.raises(ValueError) as error:
        read_data(tmp_path / "d.csv", target="price", table_format=TableFormat(sep=sep))
    message = str(error.value)
    assert "Column 'income'" in message and "grouping their digits" in message, message
    assert "thousands=','" in message and "--decimal" not in message, message


def test_three_digits_after_a_comma_alone_name_both_readings(tmp_path):
    """Without fractions elsewhere '1,250' is 1250 or 1.25: the message says both."""
    frame = pd.DataFrame({"n": ["1,250", "2,500", "12,125", "750"] * 6, "y": np.arange(24)})
    frame.to_csv(tmp_path / "d.csv", sep=";", index=False)
    from shrinkage.io import TableFormat

    with pytest.raises(ValueError, match="if it groups digits, .*; if it is a decimal comma, "
                                         "pass --decimal ','"):
        read_data(tmp_path / "d.csv", target="y", table_format=TableFormat(sep=";"))


def test_true_decimal_commas_still_name_decimal_comma(tmp_path):
    frame = pd.DataFrame({"x": ["98,53", "1,5", "0,125", "-3,25"] * 6, "y": np.arange(24)})
    frame.to_csv(tmp_path / "d.csv", sep=";", index=False)
    from shrinkage.io import TableFormat

    with pytest.raises(ValueError, match=r"decimal commas \(e\.g\. '98,53'\); pass --decimal"):
        read_data(tmp_path / "d.csv", target="y", table_format=TableFormat(sep=";"))


def test_dates_with_points_are_text_under_a_decimal_comma(tmp_path):
    from shrinkage.io import TableFormat

    frame = pd.DataFrame({"x": [f"{i},5" for i in range(24)],
                          "day": [f"0{i % 3 + 1}.02.2020" for i in range(24)],
                          "y": np.arange(24)})
    frame.to_csv(tmp_path / "d.csv", sep=";", index=False)
    data = read_data(tmp_path / "d.csv", target="y",
                     table_format=TableFormat(sep=";", decimal=","))
    assert data.feature_names == ["x", "day=01.02.2020", "day=02.02.2020", "day=03.02.2020"]
    np.testing.assert_allclose(data.X[:, 0], np.arange(24) + 0.5)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".txt.gz"])
def test_a_byte_order_mark_is_dropped_for_every_text_suffix(table, tmp_path, suffix):
    sep = "\t" if suffix == ".tsv" else ";"
    frame = table[["price", "size", "city"]]  # the target first: the BOM's column
    path = tmp_path / f"d{suffix}"
    frame.to_csv(path, sep=sep, index=False, encoding="utf-8-sig")
    from shrinkage.io import TableFormat

    data = read_data(path, target="price", table_format=TableFormat(sep=sep))
    assert data.feature_names == ["size", "city=a", "city=b", "city=c"]
    np.testing.assert_allclose(data.y, table["price"], rtol=1e-14)
    sniffed = tmp_path / "sniffed.txt"  # no --sep: pandas' sniffing reader
    frame.to_csv(sniffed, sep=";", index=False, encoding="utf-8-sig")
    assert read_data(sniffed, target="price").feature_names == data.feature_names


def test_names_equal_once_stripped_are_refused_in_frames_too(table):
    frame = table.rename(columns={"rooms": " size"})
    with pytest.raises(ValueError, match=r"2 columns named 'size' \('size' and ' size' once"):
        read_data(frame, target="price")
    with pytest.raises(ValueError, match="2 columns named 'size'"):
        encode_features(frame.drop(columns="price"), read_data(table, target="price").encoding)


def test_reading_a_frame_leaves_its_column_names_alone(table):
    frame = table.rename(columns={"size": " size "})
    data = read_data(frame, target="price")
    assert data.feature_names[0] == "size" and list(frame.columns)[0] == " size "


def test_identifier_columns_are_named():
    """A column named like an ID holding (nearly) distinct whole numbers: a warning
    that names it and the --drop that leaves it out; an ordinary count is not flagged."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "patient_id": rng.permutation(np.arange(1000, 1000 + n)),
            "visits": rng.integers(0, 5, n),
            "x": rng.standard_normal(n),
            "y": rng.standard_normal(n),
        }
    )
    with pytest.warns(UserWarning, match=r"'patient_id'.*--drop 'patient_id'"):
        read_data(frame, target="y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_data(frame, target="y", drop_columns=["patient_id"])
