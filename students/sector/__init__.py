"""Exchange with the education sector database (CSDL ngành): the school's students, classes and staff
exported in its layout, and its identifiers (mã định danh) imported back onto the roster."""
