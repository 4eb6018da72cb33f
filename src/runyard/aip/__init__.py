"""AIP machinery independent of any resource: errors (AIP-193), resource names
(AIP-122), filtering (AIP-160), ordering (AIP-132) and pagination (AIP-158)."""
