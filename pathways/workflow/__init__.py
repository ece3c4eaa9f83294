"""The one field workflow every pathway runs: person → contact → the pathway's own sections →
referral → deadlines. Pathways differ only in configuration (the catalog's sections and each
program's PathwayConfig). It has no models; it composes the apps' services and their pages (the
contact pages, the person pages), and fills the hooks the apps below call up through."""
