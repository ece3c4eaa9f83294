"""The one field workflow every pathway runs: person → contact → the pathway's own sections →
referral → deadlines. Pathways differ only in configuration (the catalog's sections and each
program's PathwayConfig). Not a Django app: it has no models; it composes the apps' services."""
