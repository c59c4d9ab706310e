"""Convert the datasets carried by the skfolio wheel into riskkit's format.

Usage: python data/scripts/import_skfolio.py PATH/TO/skfolio-1.12.2-py3-none-any.whl

Only the header changes ('Date' -> 'date'); every value is copied as text, so
no number is rounded or altered. Output is gzip with a zero timestamp, so a
re-run gives identical files.
"""

import gzip
import sys
import zipfile
from pathlib import Path

FILES = {
    "skfolio/datasets/data/sp500_dataset.csv.gz": "sp500_stocks.csv.gz",
    "skfolio/datasets/data/sp500_index.csv.gz": "sp500_index.csv.gz",
    "skfolio/datasets/data/factors_dataset.csv.gz": "factor_etfs.csv.gz",
}


def main(wheel: str) -> None:
    out_dir = Path(__file__).resolve().parent.parent
    with zipfile.ZipFile(wheel) as zf:
        for member, target in FILES.items():
            text = gzip.decompress(zf.read(member)).decode("ascii").replace("\r\n", "\n")
            header, _, body = text.partition("\n")
            fields = header.split(",")
            if fields[0] != "Date":
                raise SystemExit(f"{member}: unexpected first column {fields[0]!r}")
            fields[0] = "date"
            raw = (",".join(fields) + "\n" + body).encode("ascii")
            with (
                open(out_dir / target, "wb") as fh,
                gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz,
            ):
                gz.write(raw)
            print(f"{member} -> data/{target}")


if __name__ == "__main__":
    main(sys.argv[1])
