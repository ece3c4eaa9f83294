"""The report computations: each module reads the analytics extract (outcomes.extract) and
returns a `tables.Report`, suppressed for the viewer. `orm` holds the plain ORM versions the
benchmark compares against."""
