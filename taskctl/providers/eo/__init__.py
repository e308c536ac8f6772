"""The Earth-observation imagery processing platform (band merging, NDVI, ...)."""
