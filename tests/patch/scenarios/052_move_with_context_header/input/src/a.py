def keep():
    pass

def change():
    return 'a'
