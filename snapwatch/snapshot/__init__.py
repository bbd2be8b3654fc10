"""The snapshot document: plain inputs in, a versioned, validated document out."""
