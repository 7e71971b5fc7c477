def test_two_schools_exist(world):
    assert world.school_a.schema_name == "school_test_a"
    assert world.school_b.is_active
